package kiosk

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	qrcode "github.com/skip2/go-qrcode"
)

// Receipt is what is printed on a ticket. It holds no personal data.
type Receipt struct {
	Office  string        // office name, printed at the top
	Number  string        // ticket number as it is called, e.g. "А042"
	Service string        // name of the service chosen
	Issued  time.Time     // issue time, already in the office's time zone
	Ahead   int           // people waiting before this ticket
	Wait    time.Duration // estimated wait; 0 when there is no estimate
	URL     string        // live page of the ticket, encoded as a QR code; optional
	Barcode string        // digits only, read by the check-in scanner; optional
}

// Limits of a Receipt.
const (
	MaxURLLen     = 512 // bytes of Receipt.URL
	MaxBarcodeLen = 24  // digits of Receipt.Barcode
	MaxNumberLen  = 12  // runes of Receipt.Number
)

// Validate reports why r cannot be printed, as a *PrintError with code
// CodeReceiptInvalid. Barcodes carry digits only: scanners type scancodes,
// and under the Russian layout letters arrive as other letters.
func (r Receipt) Validate() error {
	bad := func(format string, a ...any) error {
		return &PrintError{Code: CodeReceiptInvalid, Err: fmt.Errorf(format, a...)}
	}
	switch n := utf8.RuneCountInString(r.Number); {
	case strings.TrimSpace(r.Number) == "":
		return bad("number is empty")
	case n > MaxNumberLen:
		return bad("number %q is longer than %d", r.Number, MaxNumberLen)
	}
	if r.Ahead < 0 {
		return bad("ahead %d is negative", r.Ahead)
	}
	if r.Wait < 0 {
		return bad("wait %s is negative", r.Wait)
	}
	if len(r.URL) > MaxURLLen {
		return bad("url is longer than %d bytes", MaxURLLen)
	}
	for _, c := range r.URL {
		if c <= ' ' || c > '~' {
			return bad("url must be printable ASCII without spaces")
		}
	}
	if len(r.Barcode) > MaxBarcodeLen {
		return bad("barcode is longer than %d digits", MaxBarcodeLen)
	}
	for _, c := range r.Barcode {
		if c < '0' || c > '9' {
			return bad("barcode %q must be digits only", r.Barcode)
		}
	}
	return nil
}

// Align is the horizontal alignment of a Line.
type Align int

// Alignments.
const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// LineKind says what a Line draws.
type LineKind int

// Line kinds.
const (
	LineText    LineKind = iota // Text, wrapped to the paper width
	LineQR                      // a QR code of Text
	LineBarcode                 // a CODE128 barcode of Text (digits)
	LineRule                    // a horizontal rule across the paper
)

// Line is one element of the ticket layout, independent of the printer
// language. Text lines already fit the column count given to Lines.
type Line struct {
	Kind  LineKind
	Text  string
	Align Align
	Bold  bool
	Scale int // character magnification in both directions, 1..8
}

// Lines lays the receipt out for paper with the given number of columns of
// normal-size characters: the office, the number in large type, the service,
// issue time, people ahead and the estimate, then the QR code and barcode.
func (r Receipt) Lines(columns int) []Line {
	if columns < 8 {
		columns = 8
	}
	var out []Line
	text := func(s string, align Align, bold bool, scale int) {
		for _, l := range wrap(s, columns/scale) {
			out = append(out, Line{Kind: LineText, Text: l, Align: align, Bold: bold, Scale: scale})
		}
	}
	if r.Office != "" {
		text(r.Office, AlignCenter, true, 1)
		out = append(out, Line{Kind: LineRule, Scale: 1})
	}
	text("Ваш номер", AlignCenter, false, 1)
	scale := 4
	for scale > 1 && utf8.RuneCountInString(r.Number)*scale > columns {
		scale--
	}
	text(r.Number, AlignCenter, true, scale)
	if r.Service != "" {
		text(r.Service, AlignCenter, true, 1)
	}
	out = append(out, Line{Kind: LineRule, Scale: 1})
	if !r.Issued.IsZero() {
		text("Выдан: "+r.Issued.Format("02.01.2006 15:04"), AlignLeft, false, 1)
	}
	if r.Ahead == 0 {
		text("Перед вами: никого", AlignLeft, false, 1)
	} else {
		text(fmt.Sprintf("Перед вами: %d чел.", r.Ahead), AlignLeft, false, 1)
	}
	if r.Wait > 0 {
		text("Ожидание: около "+formatWait(r.Wait), AlignLeft, false, 1)
	}
	if r.URL != "" {
		text("Следите за очередью по QR-коду:", AlignCenter, false, 1)
		out = append(out, Line{Kind: LineQR, Text: r.URL, Align: AlignCenter, Scale: 1})
	}
	if r.Barcode != "" {
		out = append(out, Line{Kind: LineBarcode, Text: r.Barcode, Align: AlignCenter, Scale: 1})
	}
	text("Дождитесь вызова на табло", AlignCenter, false, 1)
	return out
}

// formatWait renders an estimate rounded up to whole minutes.
func formatWait(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%d мин.", m)
	}
	if m%60 == 0 {
		return fmt.Sprintf("%d ч", m/60)
	}
	return fmt.Sprintf("%d ч %d мин.", m/60, m%60)
}

// wrap splits s into lines of at most width runes, breaking at spaces where
// it can and inside words longer than width. Control characters become
// spaces; an empty s gives no lines.
func wrap(s string, width int) []string {
	if width < 1 {
		width = 1
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(s) {
		w := []rune(word)
		if len(cur) > 0 && len(cur)+1+len(w) <= width {
			cur = append(append(cur, ' '), w...)
			continue
		}
		if len(cur) > 0 {
			lines = append(lines, string(cur))
			cur = nil
		}
		for len(w) > width {
			lines = append(lines, string(w[:width]))
			w = w[width:]
		}
		cur = w
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}

// QRImage returns the QR code of r.URL with one pixel per module and the
// 4-module quiet zone, black on white. ecc is the error correction level:
// "L", "M", "Q" or "H"; "" means "M".
func (r Receipt) QRImage(ecc string) (*image.Gray, error) {
	if r.URL == "" {
		return nil, errors.New("kiosk: qr: receipt has no url")
	}
	levels := map[string]qrcode.RecoveryLevel{
		"": qrcode.Medium, "L": qrcode.Low, "M": qrcode.Medium, "Q": qrcode.High, "H": qrcode.Highest,
	}
	level, ok := levels[ecc]
	if !ok {
		return nil, fmt.Errorf("kiosk: qr: unknown error correction %q", ecc)
	}
	q, err := qrcode.New(r.URL, level)
	if err != nil {
		return nil, fmt.Errorf("kiosk: qr: %w", err)
	}
	bits := q.Bitmap()
	img := image.NewGray(image.Rect(0, 0, len(bits), len(bits)))
	for y, row := range bits {
		for x, black := range row {
			img.SetGray(x, y, gray(black))
		}
	}
	return img, nil
}

// BarcodeImage returns the CODE128 barcode of r.Barcode, module dots wide per
// module and height dots high, with a 10-module quiet zone on each side.
func (r Receipt) BarcodeImage(module, height int) (*image.Gray, error) {
	if r.Barcode == "" {
		return nil, errors.New("kiosk: barcode: receipt has no barcode")
	}
	if module < 1 || height < 1 {
		return nil, fmt.Errorf("kiosk: barcode: bad size %dx%d", module, height)
	}
	bc, err := code128.Encode(r.Barcode)
	if err != nil {
		return nil, fmt.Errorf("kiosk: barcode %q: %w", r.Barcode, err)
	}
	return barsImage(bc, module, height), nil
}

// barsImage draws a one-row barcode scaled to module and height, with quiet
// zones.
func barsImage(bc barcode.Barcode, module, height int) *image.Gray {
	const quiet = 10
	b := bc.Bounds()
	n := b.Dx()
	img := image.NewGray(image.Rect(0, 0, (n+2*quiet)*module, height))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for x := 0; x < n; x++ {
		c := color.GrayModel.Convert(bc.At(b.Min.X+x, b.Min.Y)).(color.Gray)
		if c.Y >= 0x80 {
			continue
		}
		for dx := 0; dx < module; dx++ {
			for y := 0; y < height; y++ {
				img.SetGray((quiet+x)*module+dx, y, color.Gray{})
			}
		}
	}
	return img
}

func gray(black bool) color.Gray {
	if black {
		return color.Gray{}
	}
	return color.Gray{Y: 0xff}
}
