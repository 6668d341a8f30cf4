package escpos_test

import (
	"bytes"
	"errors"
	"github.com/talon-queue/talon/queue/queuetest"
	"slices"
	"strings"
	"testing"
	"time"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/kiosk"
)

func sampleReceipt() kiosk.Receipt {
	return kiosk.Receipt{
		Office:  "МФЦ «Мои документы» — Центральный район",
		Number:  "А042",
		Service: "Выдача паспорта гражданина РФ… (срочно)",
		Issued:  time.Date(2026, 11, 24, 9, 15, 30, 0, time.FixedZone("MSK", 3*3600)),
		Ahead:   3,
		Wait:    14*time.Minute + 30*time.Second,
		URL:     "https://q.example/t/A-042?k=9f3c",
		Barcode: "20261124042",
	}
}

func MustProfile(tb testing.TB, id string) profiles.Printer {
	tb.Helper()
	p, err := profiles.PrinterByID(id)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func MustEncode(tb testing.TB, p profiles.Printer, r kiosk.Receipt) []byte {
	tb.Helper()
	b, err := escpos.EncodeReceipt(p, r)
	if err != nil {
		tb.Fatalf("EncodeReceipt(%s) = %v", p.ID, err)
	}
	return b
}

// wantCode128 is the exact GS k block for the sample barcode at width w.
func wantCode128(w, h byte) []byte {
	return append([]byte{0x1d, 0x68, h, 0x1d, 0x77, w, 0x1d, 0x48, 2, 0x1d, 0x66, 0,
		0x1d, 0x6b, 73, 13, '{', 'B'}, "20261124042"...)
}

func TestEncodeReceiptNativeQR(t *testing.T) {
	cp := MustCP866(t)
	p := MustProfile(t, "generic-escpos-80")
	r := sampleReceipt()
	d := MustDecode(t, cp, MustEncode(t, p, r))

	rule := strings.Repeat("-", 48)
	wantLines := []string{
		`МФЦ "Мои документы" - Центральный район`,
		rule,
		"Ваш номер",
		"А042",
		"Выдача паспорта гражданина РФ... (срочно)",
		rule,
		"Выдан: 24.11.2026 09:15",
		"Перед вами: 3 чел.",
		"Ожидание: около 15 мин.",
		"Следите за очередью по QR-коду:",
		"", // the line feed after the QR code
		"Дождитесь вызова на табло",
	}
	if !slices.Equal(d.Lines, wantLines) {
		t.Errorf("lines:\n got %q\nwant %q", d.Lines, wantLines)
	}
	if got, want := d.Ops[:2], []string{"ESC @", "ESC t 17"}; !slices.Equal(got, want) {
		t.Errorf("first ops = %q, want %q", got, want)
	}
	if got, want := d.Ops[len(d.Ops)-2:], []string{"ESC d 4", "GS V 66 0"}; !slices.Equal(got, want) {
		t.Errorf("last ops = %q, want %q", got, want)
	}
	// The number is bold and 4x4.
	i := slices.Index(d.Ops, "TEXT А042")
	if i < 2 || !slices.Contains(d.Ops[i-3:i], "GS ! 33") || !slices.Contains(d.Ops[:i], "ESC E 1") {
		t.Errorf("number not printed bold 4x4: %q", d.Ops)
	}
	if !slices.Equal(d.QR, []string{r.URL}) {
		t.Errorf("native QR payloads = %q, want %q", d.QR, r.URL)
	}
	for _, op := range []string{"QR A 32 00", "QR C 06", "QR E 31"} {
		if !slices.Contains(d.Ops, op) {
			t.Errorf("missing %q in %q", op, d.Ops)
		}
	}
	if len(d.Rasters) != 0 {
		t.Errorf("native profile printed %d rasters", len(d.Rasters))
	}
	if len(d.Barcodes) != 1 || !bytes.Equal(d.Barcodes[0], wantCode128(2, 80)[12:]) {
		t.Errorf("GS k = % x", d.Barcodes)
	}
	if !bytes.Contains(MustEncode(t, p, r), wantCode128(2, 80)) {
		t.Errorf("barcode block % x not found", wantCode128(2, 80))
	}
	if len(d.Status) != 0 {
		t.Errorf("a ticket job must not contain status queries: %v", d.Status)
	}
}

func TestEncodeReceiptRasterQR(t *testing.T) {
	cp := MustCP866(t)
	for _, id := range []string{"generic-escpos-80-raster", "pos-58-raster"} {
		t.Run(id, func(t *testing.T) {
			p := MustProfile(t, id)
			r := sampleReceipt()
			d := MustDecode(t, cp, MustEncode(t, p, r))
			if len(d.QR) != 0 || len(d.Rasters) != 1 {
				t.Fatalf("native QR %d, rasters %d; want 0, 1", len(d.QR), len(d.Rasters))
			}
			img := d.Rasters[0]
			if w := img.Bounds().Dx(); w > p.Dots {
				t.Errorf("raster is %d dots wide, paper %d", w, p.Dots)
			}
			if got := queuetest.MustZbar(t, img); got != r.URL {
				t.Errorf("zbarimg read %q from the GS v 0 raster, want %q", got, r.URL)
			}
			if !slices.Contains(d.Lines, "А042") || !slices.Contains(d.Lines, "Перед вами: 3 чел.") {
				t.Errorf("lines = %q", d.Lines)
			}
			for _, l := range d.Lines {
				if n := len([]rune(l)); n > p.Columns {
					t.Errorf("line %q is %d columns, paper %d", l, n, p.Columns)
				}
			}
			if len(d.Barcodes) != 1 || !bytes.Contains(MustEncode(t, p, r), wantCode128(byte(p.BarcodeWidth), byte(p.BarcodeHeight))) {
				t.Errorf("GS k = % x", d.Barcodes)
			}
			wantCut := p.Cut
			if got := MustEncode(t, p, r); !bytes.HasSuffix(got, append([]byte{0x1b, 0x64, byte(p.FeedLines)}, wantCut...)) {
				t.Errorf("job does not end with feed and the profile's cut % x", wantCut)
			}
		})
	}
}

func TestEncodeReceiptCitizenCodePage(t *testing.T) {
	d := MustDecode(t, MustCP866(t), MustEncode(t, MustProfile(t, "citizen-hp-80"), sampleReceipt()))
	if d.Ops[1] != "ESC t 7" {
		t.Errorf("code page op = %q, want ESC t 7", d.Ops[1])
	}
}

func TestEncodeReceiptOptionalParts(t *testing.T) {
	r := sampleReceipt()
	r.URL, r.Barcode = "", ""
	d := MustDecode(t, MustCP866(t), MustEncode(t, MustProfile(t, "generic-escpos-80"), r))
	if len(d.QR)+len(d.Rasters)+len(d.Barcodes) != 0 || slices.Contains(d.Lines, "Следите за очередью по QR-коду:") {
		t.Errorf("receipt without url and barcode printed codes: %q", d.Ops)
	}
}

func TestEncodeReceiptInvalid(t *testing.T) {
	r := sampleReceipt()
	r.Barcode = "A042"
	_, err := escpos.EncodeReceipt(MustProfile(t, "generic-escpos-80"), r)
	if !errors.Is(err, &kiosk.PrintError{Code: kiosk.CodeReceiptInvalid}) {
		t.Errorf("EncodeReceipt(letter barcode) = %v, want %s", err, kiosk.CodeReceiptInvalid)
	}
}
