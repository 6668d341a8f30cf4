package profiles

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

//go:embed printers/*.json
var builtin embed.FS

// Printer QR modes (Printer.QR).
const (
	QRNative = "native" // GS ( k: the printer draws the symbol
	QRRaster = "raster" // GS v 0: we draw the symbol as a bit image
	QRNone   = "none"   // no QR code is printed
)

// Printer barcode modes (Printer.Barcode).
const (
	BarcodeCode128 = "code128" // GS k 73 (CODE128, code set B)
	BarcodeNone    = "none"    // no barcode is printed
)

// Printer status modes (Printer.Status).
const (
	StatusDLEEOT = "dle_eot" // answers DLE EOT 1, 2 and 4 with one byte each
	StatusNone   = "none"    // never answers: prints cannot be confirmed
)

// CharsetCP866 is the only charset the ESC/POS encoder writes today.
const CharsetCP866 = "cp866"

// Printer is the profile of one ticket printer model: what varies between
// ESC/POS firmwares. The JSON field names are the ones in printers/*.json.
type Printer struct {
	ID     string `json:"id"`     // stable key used in configuration, e.g. "generic-escpos-80"
	Name   string `json:"name"`   // human-readable models covered
	Source string `json:"source"` // where the facts come from (manual, table, test)

	PaperMM int `json:"paper_mm"` // paper width in millimetres
	Dots    int `json:"dots"`     // printable width in dots, a multiple of 8
	Columns int `json:"columns"`  // characters per line in font A at normal size

	Charset  string `json:"charset"`   // text encoding; "cp866"
	CodePage int    `json:"code_page"` // n of ESC t n that selects Charset

	QR       string `json:"qr"`        // QRNative, QRRaster or QRNone
	QRModule int    `json:"qr_module"` // dots per QR module, 1..16
	QRECC    string `json:"qr_ecc"`    // error correction: L, M, Q or H

	Barcode       string `json:"barcode"`        // BarcodeCode128 or BarcodeNone
	BarcodeWidth  int    `json:"barcode_width"`  // GS w n: module width in dots, 1..6
	BarcodeHeight int    `json:"barcode_height"` // GS h n: bar height in dots, 1..255

	FeedLines int    `json:"feed_lines"` // ESC d n before the cut, 0..255
	Cut       Bytes  `json:"cut"`        // raw cut command, empty when there is no cutter
	Status    string `json:"status"`     // StatusDLEEOT or StatusNone
}

// Bytes is a raw command written in JSON as hex pairs, spaces allowed:
// "1d 56 42 00".
type Bytes []byte

// UnmarshalJSON decodes a hex string such as "1d 56 42 00".
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("bytes: want a hex string: %w", err)
	}
	raw, err := parseHex(s)
	if err != nil {
		return err
	}
	*b = raw
	return nil
}

// MarshalJSON encodes b as space-separated hex pairs.
func (b Bytes) MarshalJSON() ([]byte, error) {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = hex.EncodeToString([]byte{c})
	}
	return json.Marshal(strings.Join(parts, " "))
}

// Printers returns the built-in printer profiles, sorted by ID.
func Printers() ([]Printer, error) { return builtinAll(builtin, "printers", LoadPrinters) }

// PrinterByID returns the built-in printer profile with the given ID.
func PrinterByID(id string) (Printer, error) {
	all, err := Printers()
	if err != nil {
		return Printer{}, err
	}
	return Find(all, id)
}

// Find returns the profile with the given ID from list.
func Find(list []Printer, id string) (Printer, error) {
	return findByID(list, "printer", id, func(p Printer) string { return p.ID })
}

// LoadPrinters reads and validates every *.json file at the root of fsys as a
// Printer, so that a site can add a profile directory (os.DirFS) without a
// rebuild. Unknown JSON fields are errors, to catch typos. IDs must be unique.
// The result is sorted by ID.
func LoadPrinters(fsys fs.FS) ([]Printer, error) {
	return loadAll(fsys, "printer", ParsePrinter, func(p Printer) string { return p.ID })
}

// ParsePrinter decodes one printer profile from JSON and validates it.
func ParsePrinter(data []byte) (Printer, error) { return parseStrict[Printer](data, "printer") }

// Validate reports the first field of p that is missing or out of range.
func (p Printer) Validate() error {
	bad := func(field, why string) error {
		return fmt.Errorf("printer %q: %s: %s", p.ID, field, why)
	}
	switch {
	case p.ID == "":
		return bad("id", "required")
	case p.Name == "":
		return bad("name", "required")
	case strings.TrimSpace(p.Source) == "":
		return bad("source", "required: say where the commands come from")
	case p.PaperMM <= 0:
		return bad("paper_mm", "must be positive")
	case p.Dots <= 0 || p.Dots%8 != 0 || p.Dots > 65535:
		return bad("dots", "must be a positive multiple of 8")
	case p.Columns <= 0:
		return bad("columns", "must be positive")
	case p.Charset != CharsetCP866:
		return bad("charset", "must be "+CharsetCP866)
	case p.CodePage < 0 || p.CodePage > 255:
		return bad("code_page", "must be 0..255")
	case p.QR != QRNative && p.QR != QRRaster && p.QR != QRNone:
		return bad("qr", "must be native, raster or none")
	case p.QR != QRNone && (p.QRModule < 1 || p.QRModule > 16):
		return bad("qr_module", "must be 1..16")
	case p.QR != QRNone && !slices.Contains([]string{"L", "M", "Q", "H"}, p.QRECC):
		return bad("qr_ecc", "must be L, M, Q or H")
	case p.Barcode != BarcodeCode128 && p.Barcode != BarcodeNone:
		return bad("barcode", "must be code128 or none")
	case p.Barcode != BarcodeNone && (p.BarcodeWidth < 1 || p.BarcodeWidth > 6):
		return bad("barcode_width", "must be 1..6")
	case p.Barcode != BarcodeNone && (p.BarcodeHeight < 1 || p.BarcodeHeight > 255):
		return bad("barcode_height", "must be 1..255")
	case p.FeedLines < 0 || p.FeedLines > 255:
		return bad("feed_lines", "must be 0..255")
	case p.Status != StatusDLEEOT && p.Status != StatusNone:
		return bad("status", "must be dle_eot or none")
	}
	return nil
}
