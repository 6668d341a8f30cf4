package kiosk_test

import (
	"errors"
	"github.com/talon-queue/talon/queue/queuetest"
	"image"
	"slices"
	"strings"
	"testing"
	"time"

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

func TestLines(t *testing.T) {
	rule := kiosk.Line{Kind: kiosk.LineRule, Scale: 1}
	center := func(s string, bold bool, scale int) kiosk.Line {
		return kiosk.Line{Text: s, Align: kiosk.AlignCenter, Bold: bold, Scale: scale}
	}
	left := func(s string) kiosk.Line { return kiosk.Line{Text: s, Scale: 1} }
	got := sampleReceipt().Lines(48)
	want := []kiosk.Line{
		center("МФЦ «Мои документы» — Центральный район", true, 1),
		rule,
		center("Ваш номер", false, 1),
		center("А042", true, 4),
		center("Выдача паспорта гражданина РФ… (срочно)", true, 1),
		rule,
		left("Выдан: 24.11.2026 09:15"),
		left("Перед вами: 3 чел."),
		left("Ожидание: около 15 мин."),
		center("Следите за очередью по QR-коду:", false, 1),
		{Kind: kiosk.LineQR, Text: "https://q.example/t/A-042?k=9f3c", Align: kiosk.AlignCenter, Scale: 1},
		{Kind: kiosk.LineBarcode, Text: "20261124042", Align: kiosk.AlignCenter, Scale: 1},
		center("Дождитесь вызова на табло", false, 1),
	}
	if !slices.Equal(got, want) {
		t.Errorf("Lines(48):\n got %#v\nwant %#v", got, want)
	}
}

func TestLinesWrapAndScale(t *testing.T) {
	r := kiosk.Receipt{
		Number:  "Б1234567",
		Service: "Регистрация\x1b@ по месту жительства и пребывания гражданина",
		Wait:    2*time.Hour + time.Minute,
	}
	var texts []string
	for _, l := range r.Lines(20) {
		if l.Kind != kiosk.LineText {
			continue
		}
		if n := len([]rune(l.Text)) * l.Scale; n > 20 {
			t.Errorf("line %q at scale %d is %d columns, want <= 20", l.Text, l.Scale, n)
		}
		if strings.ContainsRune(l.Text, 0x1b) {
			t.Errorf("line %q keeps a control character", l.Text)
		}
		if l.Text == "Б1234567" && l.Scale != 2 {
			t.Errorf("number scale = %d, want 2 (8 runes on 20 columns)", l.Scale)
		}
		texts = append(texts, l.Text)
	}
	for _, want := range []string{"Регистрация @ по", "месту жительства и", "Перед вами: никого", "Ожидание: около 2 ч", "1 мин."} {
		if !slices.Contains(texts, want) {
			t.Errorf("missing line %q in %q", want, texts)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := sampleReceipt()
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(sample) = %v", err)
	}
	for name, mutate := range map[string]func(*kiosk.Receipt){
		"empty number":   func(r *kiosk.Receipt) { r.Number = " " },
		"letter barcode": func(r *kiosk.Receipt) { r.Barcode = "A042" },
		"cyrillic url":   func(r *kiosk.Receipt) { r.URL = "https://мфц.рф/t/1" },
		"negative ahead": func(r *kiosk.Receipt) { r.Ahead = -1 },
		"long barcode":   func(r *kiosk.Receipt) { r.Barcode = strings.Repeat("1", kiosk.MaxBarcodeLen+1) },
	} {
		r := ok
		mutate(&r)
		err := r.Validate()
		var pe *kiosk.PrintError
		if !errors.As(err, &pe) || pe.Code != kiosk.CodeReceiptInvalid {
			t.Errorf("%s: Validate = %v, want code %s", name, err, kiosk.CodeReceiptInvalid)
		}
	}
}

func TestPrinterStatusProblem(t *testing.T) {
	for _, tc := range []struct {
		s    kiosk.PrinterStatus
		want string
	}{
		{kiosk.PrinterStatus{}, kiosk.CodePrinterNoAnswer},
		{kiosk.PrinterStatus{Known: true}, ""},
		{kiosk.PrinterStatus{Known: true, PaperNearEnd: true}, ""},
		{kiosk.PrinterStatus{Known: true, Offline: true, PaperOut: true}, kiosk.CodePrinterPaperOut},
		{kiosk.PrinterStatus{Known: true, Offline: true, CoverOpen: true}, kiosk.CodePrinterCoverOpen},
		{kiosk.PrinterStatus{Known: true, Failed: true}, kiosk.CodePrinterFailed},
		{kiosk.PrinterStatus{Known: true, Offline: true}, kiosk.CodePrinterOffline},
		{kiosk.PrinterStatus{Offline: true}, kiosk.CodePrinterNoAnswer},
	} {
		if got := tc.s.Problem(); got != tc.want {
			t.Errorf("%+v.Problem() = %q, want %q", tc.s, got, tc.want)
		}
		if got := tc.s.Ready(); got != (tc.want == "") {
			t.Errorf("%+v.Ready() = %v", tc.s, got)
		}
	}
	if codes := kiosk.PrintCodes(); len(codes) != 8 {
		t.Errorf("PrintCodes() has %d codes, want 8", len(codes))
	}
}

func TestPrintErrorIs(t *testing.T) {
	cause := errors.New("boom")
	err := error(&kiosk.PrintError{Code: kiosk.CodePrinterPaperOut, Sent: true, Err: cause})
	if !errors.Is(err, &kiosk.PrintError{Code: kiosk.CodePrinterPaperOut}) {
		t.Error("errors.Is by code failed")
	}
	if errors.Is(err, &kiosk.PrintError{Code: kiosk.CodePrinterOffline}) {
		t.Error("errors.Is matched another code")
	}
	if !errors.Is(err, cause) {
		t.Error("Unwrap lost the cause")
	}
	if got := err.Error(); !strings.Contains(got, "printer_paper_out") || !strings.Contains(got, "after sending") {
		t.Errorf("Error() = %q", got)
	}
}

func TestQRImageReadsBack(t *testing.T) {
	r := sampleReceipt()
	img, err := r.QRImage("M")
	if err != nil {
		t.Fatal(err)
	}
	if got := queuetest.MustZbar(t, scale(img, 4)); got != r.URL {
		t.Errorf("zbarimg read %q, want %q", got, r.URL)
	}
}

func TestBarcodeImageReadsBack(t *testing.T) {
	r := sampleReceipt()
	img, err := r.BarcodeImage(2, 80)
	if err != nil {
		t.Fatal(err)
	}
	if got := queuetest.MustZbar(t, img); got != r.Barcode {
		t.Errorf("zbarimg read %q, want %q", got, r.Barcode)
	}
}

// scale enlarges a one-pixel-per-module image so zbar sees clear modules.
func scale(src *image.Gray, k int) *image.Gray {
	b := src.Bounds()
	dst := image.NewGray(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := 0; y < b.Dy()*k; y++ {
		for x := 0; x < b.Dx()*k; x++ {
			dst.SetGray(x, y, src.GrayAt(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return dst
}
