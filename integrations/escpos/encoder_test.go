package escpos_test

import (
	"bytes"
	"image"
	"image/color"
	"testing"

	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/kiosk"
)

func TestEncoderCommands(t *testing.T) {
	var e escpos.Encoder
	e.Init()
	e.CodePage(17)
	e.Align(kiosk.AlignCenter)
	e.Bold(true)
	if err := e.Size(4, 4); err != nil {
		t.Fatal(err)
	}
	e.Line("А1")
	e.Align(kiosk.AlignRight)
	e.Bold(false)
	e.Feed(4)
	e.Cut()
	want := []byte{
		0x1b, 0x40, // ESC @
		0x1b, 0x74, 17, // ESC t 17
		0x1b, 0x61, 1, // ESC a 1
		0x1b, 0x45, 1, // ESC E 1
		0x1d, 0x21, 0x33, // GS ! 4x4
		0x80, '1', 0x0a, // "А1" in CP866, LF
		0x1b, 0x61, 2,
		0x1b, 0x45, 0,
		0x1b, 0x64, 4, // ESC d 4
		0x1d, 0x56, 66, 0, // GS V 66 0
	}
	if got := e.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("got  % x\nwant % x", got, want)
	}
	if err := e.Size(0, 1); err == nil {
		t.Error("Size(0,1) = nil error")
	}
}

func TestEncoderNativeQR(t *testing.T) {
	var e escpos.Encoder
	if err := e.QR("AB", 6, 'M'); err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x1d, 0x28, 0x6b, 4, 0, 0x31, 0x41, 0x32, 0, // fn 165: model 2
		0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x43, 6, // fn 167: module 6
		0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x45, 0x31, // fn 169: ECC M
		0x1d, 0x28, 0x6b, 5, 0, 0x31, 0x50, 0x30, 'A', 'B', // fn 180: store
		0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30, // fn 181: print
	}
	if got := e.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("got  % x\nwant % x", got, want)
	}
	for _, bad := range []struct {
		data   string
		module int
		ecc    byte
	}{{"", 6, 'M'}, {"x", 0, 'M'}, {"x", 17, 'M'}, {"x", 6, 'X'}, {"a\x10\x04\x01", 6, 'M'}} {
		if err := new(escpos.Encoder).QR(bad.data, bad.module, bad.ecc); err == nil {
			t.Errorf("QR(%q, %d, %c) = nil error", bad.data, bad.module, bad.ecc)
		}
	}
}

func TestEncoderCode128(t *testing.T) {
	var e escpos.Encoder
	if err := e.Code128("20261124042", 2, 80); err != nil {
		t.Fatal(err)
	}
	want := append([]byte{
		0x1d, 0x68, 80, // GS h 80
		0x1d, 0x77, 2, // GS w 2
		0x1d, 0x48, 2, // GS H 2: digits below
		0x1d, 0x66, 0, // GS f 0
		0x1d, 0x6b, 73, 13, '{', 'B', // GS k 73 n {B
	}, "20261124042"...)
	if got := e.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("got  % x\nwant % x", got, want)
	}
	for _, bad := range []string{"", "A042", "12 3", "٣"} {
		if err := new(escpos.Encoder).Code128(bad, 2, 80); err == nil {
			t.Errorf("Code128(%q) = nil error", bad)
		}
	}
}

func TestEncoderRaster(t *testing.T) {
	// 3x2 image: row 0 black, white, black; row 1 white, black, white.
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.SetGray(0, 0, color.Gray{})
	img.SetGray(2, 0, color.Gray{})
	img.SetGray(1, 1, color.Gray{})
	var e escpos.Encoder
	if err := e.Raster(img, 2, 3); err != nil { // 2x2 dots per pixel, 3 dots from the left
		t.Fatal(err)
	}
	// Width 3+6 = 9 dots = 2 bytes, height 4 dots.
	want := []byte{0x1d, 0x76, 0x30, 0, 2, 0, 4, 0,
		0b00011001, 0b10000000,
		0b00011001, 0b10000000,
		0b00000110, 0b00000000,
		0b00000110, 0b00000000,
	}
	if got := e.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("got  % 08b\nwant % 08b", got, want)
	}
	// One black dot at x=3 then one at x=13: bytes 10 04 = DLE EOT.
	bad := image.NewGray(image.Rect(0, 0, 16, 1))
	for i := range bad.Pix {
		bad.Pix[i] = 0xff
	}
	bad.SetGray(3, 0, color.Gray{})
	bad.SetGray(13, 0, color.Gray{})
	if err := new(escpos.Encoder).Raster(bad, 1, 0); err == nil {
		t.Error("Raster with DLE EOT in its data = nil error")
	}
}

func TestStatusQuery(t *testing.T) {
	if got := escpos.StatusQuery(4); !bytes.Equal(got, []byte{0x10, 0x04, 0x04}) {
		t.Errorf("StatusQuery(4) = % x", got)
	}
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		printer, offline, paper byte
		want                    kiosk.PrinterStatus
	}{
		{"ready", 0x12, 0x12, 0x12, kiosk.PrinterStatus{Known: true}},
		{"near end", 0x12, 0x12, 0x1e, kiosk.PrinterStatus{Known: true, PaperNearEnd: true}},
		{"paper out", 0x1a, 0x32, 0x72, kiosk.PrinterStatus{Known: true, Offline: true, PaperOut: true}},
		{"paper out, sensor only", 0x12, 0x12, 0x60 | 0x12, kiosk.PrinterStatus{Known: true, PaperOut: true}},
		{"cover open", 0x1a, 0x16, 0x12, kiosk.PrinterStatus{Known: true, Offline: true, CoverOpen: true}},
		{"error", 0x1a, 0x52, 0x12, kiosk.PrinterStatus{Known: true, Offline: true, Failed: true}},
		{"garbage", 0x12, 0x00, 0x12, kiosk.PrinterStatus{}},
		{"high bit", 0x92, 0x12, 0x12, kiosk.PrinterStatus{}},
	} {
		if got := escpos.ParseStatus(tc.printer, tc.offline, tc.paper); got != tc.want {
			t.Errorf("%s: ParseStatus(%#x, %#x, %#x) = %+v, want %+v", tc.name, tc.printer, tc.offline, tc.paper, got, tc.want)
		}
	}
}
