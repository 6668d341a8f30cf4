package escpos

import "github.com/talon-queue/talon/kiosk"

// validStatus reports whether b has the fixed bits of a DLE EOT reply:
// bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0.
func validStatus(b byte) bool { return b&0x93 == 0x12 }

// ParseStatus interprets the replies to DLE EOT 1 (printer), DLE EOT 2
// (offline cause) and DLE EOT 4 (paper sensor). A reply without the fixed
// bits of a status byte makes the whole status unknown (Known false).
//
//	DLE EOT 1: bit 3 offline
//	DLE EOT 2: bit 2 cover open, bit 5 stopped by paper end, bit 6 error
//	DLE EOT 4: bits 2-3 roll near end, bits 5-6 roll end
func ParseStatus(printer, offline, paper byte) kiosk.PrinterStatus {
	if !validStatus(printer) || !validStatus(offline) || !validStatus(paper) {
		return kiosk.PrinterStatus{}
	}
	return kiosk.PrinterStatus{
		Known:        true,
		Offline:      printer&0x08 != 0,
		CoverOpen:    offline&0x04 != 0,
		PaperOut:     offline&0x20 != 0 || paper&0x60 != 0,
		PaperNearEnd: paper&0x0c != 0,
		Failed:       offline&0x40 != 0,
	}
}
