package escpos

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	"github.com/talon-queue/talon/kiosk"
)

// Command bytes.
const (
	esc = 0x1b
	gs  = 0x1d
	dle = 0x10
	eot = 0x04
	lf  = 0x0a
)

// Encoder builds an ESC/POS byte stream. Methods append to it; Bytes returns
// the result. The zero value is ready to use.
type Encoder struct {
	buf []byte
}

// Bytes returns the bytes written so far.
func (e *Encoder) Bytes() []byte { return e.buf }

// Raw appends b unchanged, for profile-defined commands such as the cut.
func (e *Encoder) Raw(b []byte) { e.buf = append(e.buf, b...) }

// Init resets the printer to its power-on settings: ESC @.
func (e *Encoder) Init() { e.buf = append(e.buf, esc, '@') }

// CodePage selects character code table n: ESC t n (17 is PC866 on Epson).
func (e *Encoder) CodePage(n byte) { e.buf = append(e.buf, esc, 't', n) }

// Text appends s encoded with ToCP866; the printer must be set to CP866.
func (e *Encoder) Text(s string) { e.buf = append(e.buf, ToCP866(s)...) }

// Line appends s and a line feed.
func (e *Encoder) Line(s string) {
	e.Text(s)
	e.buf = append(e.buf, lf)
}

// Bold turns emphasis on or off: ESC E n.
func (e *Encoder) Bold(on bool) { e.buf = append(e.buf, esc, 'E', b2i(on)) }

// Size sets character magnification, width and height 1..8: GS ! n.
func (e *Encoder) Size(width, height int) error {
	if width < 1 || width > 8 || height < 1 || height > 8 {
		return fmt.Errorf("escpos: size %dx%d out of 1..8", width, height)
	}
	e.buf = append(e.buf, gs, '!', byte((width-1)<<4|(height-1)))
	return nil
}

// Align sets justification for the following lines, codes and images: ESC a n.
func (e *Encoder) Align(a kiosk.Align) {
	n := byte(0)
	switch a {
	case kiosk.AlignCenter:
		n = 1
	case kiosk.AlignRight:
		n = 2
	}
	e.buf = append(e.buf, esc, 'a', n)
}

// Feed prints the buffer and feeds n lines: ESC d n.
func (e *Encoder) Feed(n int) { e.buf = append(e.buf, esc, 'd', clampByte(n)) }

// Cut feeds to the cutter and cuts partially: GS V 66 0. Profiles may define
// their own cut; use Raw for it.
func (e *Encoder) Cut() { e.buf = append(e.buf, gs, 'V', 66, 0) }

// QR appends a native QR code (GS ( k, model 2): module size 1..16 dots,
// error correction ecc one of 'L', 'M', 'Q', 'H'; then prints it.
func (e *Encoder) QR(data string, module int, ecc byte) error {
	levels := map[byte]byte{'L': 48, 'M': 49, 'Q': 50, 'H': 51}
	level, ok := levels[ecc]
	switch {
	case !ok:
		return fmt.Errorf("escpos: qr: unknown error correction %q", ecc)
	case module < 1 || module > 16:
		return fmt.Errorf("escpos: qr: module size %d out of 1..16", module)
	case data == "" || len(data) > 7089:
		return fmt.Errorf("escpos: qr: data length %d out of 1..7089", len(data))
	case hasRealtime([]byte(data)):
		return errors.New("escpos: qr: data contains a real-time command sequence")
	}
	k := func(fn byte, args ...byte) {
		n := len(args) + 2
		e.buf = append(e.buf, gs, '(', 'k', byte(n), byte(n>>8), '1', fn)
		e.buf = append(e.buf, args...)
	}
	k('A', '2', 0)                          // fn 165: model 2
	k('C', byte(module))                    // fn 167: module size
	k('E', level)                           // fn 169: error correction
	k('P', append([]byte{'0'}, data...)...) // fn 180: store
	k('Q', '0')                             // fn 181: print
	return nil
}

// Raster appends img as a GS v 0 bit image, each pixel drawn as scale×scale
// dots and shifted right by left dots (use it to centre: ESC a does not apply
// to raster images on every model). A pixel is black when its luminance is
// below half. Raster data that would contain a real-time command sequence
// (DLE EOT, DLE ENQ, DLE DC4) is refused.
func (e *Encoder) Raster(img image.Image, scale, left int) error {
	b := img.Bounds()
	if scale < 1 || left < 0 {
		return fmt.Errorf("escpos: raster: bad scale %d or offset %d", scale, left)
	}
	wDots, h := left+b.Dx()*scale, b.Dy()*scale
	wBytes := (wDots + 7) / 8
	if wBytes == 0 || h == 0 || wBytes > 0xffff || h > 0xffff {
		return fmt.Errorf("escpos: raster: size %dx%d dots out of range", wDots, h)
	}
	data := make([]byte, wBytes*h)
	for y := 0; y < h; y++ {
		for x := left; x < wDots; x++ {
			c := color.GrayModel.Convert(img.At(b.Min.X+(x-left)/scale, b.Min.Y+y/scale)).(color.Gray)
			if c.Y < 0x80 {
				data[y*wBytes+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	if hasRealtime(data) {
		return errors.New("escpos: raster: image data contains a real-time command sequence")
	}
	e.buf = append(e.buf, gs, 'v', '0', 0, byte(wBytes), byte(wBytes>>8), byte(h), byte(h>>8))
	e.buf = append(e.buf, data...)
	return nil
}

// Code128 appends a CODE128 barcode of digits (code set B) with module width
// 1..6 dots, bar height 1..255 dots and the digits printed below:
// GS h, GS w, GS H 2, GS f 0, GS k 73.
func (e *Encoder) Code128(digits string, width, height int) error {
	switch {
	case digits == "" || len(digits) > 253:
		return fmt.Errorf("escpos: code128: length %d out of 1..253", len(digits))
	case width < 1 || width > 6:
		return fmt.Errorf("escpos: code128: width %d out of 1..6", width)
	case height < 1 || height > 255:
		return fmt.Errorf("escpos: code128: height %d out of 1..255", height)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return fmt.Errorf("escpos: code128: %q is not digits only", digits)
		}
	}
	e.buf = append(e.buf, gs, 'h', byte(height), gs, 'w', byte(width), gs, 'H', 2, gs, 'f', 0)
	e.buf = append(e.buf, gs, 'k', 73, byte(len(digits)+2), '{', 'B')
	e.buf = append(e.buf, digits...)
	return nil
}

// Code128Modules returns the width in modules of a code set B CODE128
// barcode of n characters: start, data, check digit and stop.
func Code128Modules(n int) int { return 11 + 11*n + 11 + 13 }

// StatusQuery returns the real-time status request DLE EOT n: n is 1
// (printer), 2 (offline cause), 3 (error cause) or 4 (paper sensor).
func StatusQuery(n byte) []byte { return []byte{dle, eot, n} }

// hasRealtime reports whether b contains DLE EOT, DLE ENQ or DLE DC4, which a
// printer would execute even inside another command's data.
func hasRealtime(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == dle && (b[i+1] == eot || b[i+1] == 0x05 || b[i+1] == 0x14) {
			return true
		}
	}
	return false
}

func b2i(on bool) byte {
	if on {
		return 1
	}
	return 0
}

func clampByte(n int) byte {
	return byte(max(0, min(n, 255)))
}
