package kiosk_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/talon-queue/talon/queue/queuetest"
	"image"
	"image/color"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/talon-queue/talon/kiosk"
	"github.com/talon-queue/talon/queue"
)

func TestNewReceipt(t *testing.T) {
	issued := time.Date(2026, 11, 24, 7, 15, 0, 0, time.UTC)
	p := queue.Printable{
		Ticket: queue.TicketView{Ticket: queue.Ticket{ID: "1042", Number: "П042", Service: "passport", IssuedAt: issued,
			Phone: "+79001234567", CaseID: "AIS-1"}, Position: 4, EstimatedWait: 25},
		Office:  queue.Office{Name: queue.Text{RU: "МФЦ Тестовый", EN: "Test"}, TimeZone: "Asia/Yekaterinburg"},
		Service: queue.Service{ID: "passport", Name: queue.Text{RU: "Паспорт РФ", EN: "Passport"}},
	}
	r := kiosk.NewReceipt(p, "https://q.example/t/1042-abc")
	want := kiosk.Receipt{Office: "МФЦ Тестовый", Number: "П042", Service: "Паспорт РФ", Ahead: 3, Wait: 25 * time.Minute,
		URL: "https://q.example/t/1042-abc", Barcode: "1042"}
	got := r
	got.Issued = time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("receipt\n got %+v\nwant %+v", got, want)
	}
	if h := r.Issued.Format("15:04 MST"); h != "12:15 +05" {
		t.Errorf("issued %s, want the office's local time", h)
	}
	if err := r.Validate(); err != nil {
		t.Error(err)
	}
	// A ticket no longer waiting has no place and no estimate.
	p.Ticket.Position, p.Ticket.Status = 0, queue.StatusCalled
	if r := kiosk.NewReceipt(p, ""); r.Ahead != 0 || r.Wait != 0 {
		t.Errorf("called ticket: %+v", r)
	}
}

func TestPrintJobWireForm(t *testing.T) {
	job := kiosk.PrintJob{ID: "pj-1", Kiosk: "kiosk-1", Ticket: "20261124042", Profile: "generic-escpos-80", Receipt: sampleReceipt()}
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	rec := m["receipt"].(map[string]any)
	if rec["wait_seconds"] != 870.0 || rec["issued"] != "2026-11-24T09:15:30+03:00" || rec["barcode"] != "20261124042" || rec["ahead"] != 3.0 {
		t.Errorf("receipt on the wire: %s", b)
	}
	var back kiosk.PrintJob
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Receipt.Issued.Format("02.01.2006 15:04") != "24.11.2026 09:15" || back.Receipt.Wait != job.Receipt.Wait {
		t.Errorf("read back %+v", back.Receipt)
	}
	back.Receipt.Issued, job.Receipt.Issued = time.Time{}, time.Time{}
	if !reflect.DeepEqual(back, job) {
		t.Errorf("round trip\n got %+v\nwant %+v", back, job)
	}
}

// stubPrinter answers Print and Status with fixed values.
type stubPrinter struct {
	err    error
	status kiosk.PrinterStatus
}

func (s stubPrinter) Print(context.Context, kiosk.Receipt) error { return s.err }
func (s stubPrinter) Status(context.Context) (kiosk.PrinterStatus, error) {
	return s.status, nil
}

func TestPrintResults(t *testing.T) {
	job := kiosk.PrintJob{ID: "pj-2", Receipt: sampleReceipt()}
	near := kiosk.PrinterStatus{Known: true, PaperNearEnd: true}
	if r := kiosk.Print(context.Background(), stubPrinter{status: near}, job); !r.OK || r.Job != "pj-2" || r.Status != near || r.Err() != nil {
		t.Errorf("printed: %+v", r)
	}
	out := kiosk.PrinterStatus{Known: true, PaperOut: true}
	r := kiosk.Print(context.Background(), stubPrinter{err: &kiosk.PrintError{Code: kiosk.CodePrinterPaperOut, Status: out}}, job)
	if r.OK || r.Code != kiosk.CodePrinterPaperOut || r.Status != out || r.Sent {
		t.Errorf("paper out: %+v", r)
	}
	if err := r.Err(); !errors.Is(err, &kiosk.PrintError{Code: kiosk.CodePrinterPaperOut}) {
		t.Errorf("Err() = %v", err)
	}
	if r := kiosk.ResultOf("x", errors.New("boom")); r.Code != kiosk.CodePrinterUnreachable {
		t.Errorf("plain error: %+v", r)
	}
	if err := (kiosk.PrintResult{Code: "nonsense"}).Err(); !errors.Is(err, &kiosk.PrintError{Code: kiosk.CodePrinterUnconfirmed}) {
		t.Errorf("unknown code: %v", err)
	}
	if err := (kiosk.PrintResult{OK: true, Code: kiosk.CodePrinterOffline}).Err(); err == nil {
		t.Error("ok with a code is not a success")
	}
}

var svgRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// fromSVG draws the runs of an SVG from svgOf back into an image.
func fromSVG(t *testing.T, svg string, w, h int) *image.Gray {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, m := range svgRun.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		for i := range n {
			img.SetGray(x+i, y, color.Gray{})
		}
	}
	return img
}

func TestSVGImagesMatchThePrintedOnes(t *testing.T) {
	r := sampleReceipt()
	qr, err := r.QRImage("M")
	if err != nil {
		t.Fatal(err)
	}
	svg, err := r.QRSVG()
	if err != nil {
		t.Fatal(err)
	}
	n := qr.Bounds().Dx()
	if want := `viewBox="0 0 ` + strconv.Itoa(n) + " " + strconv.Itoa(n) + `"`; !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(svg) {
		t.Errorf("svg without %s", want)
	}
	if got := fromSVG(t, svg, n, n); !reflect.DeepEqual(got.Pix, qr.Pix) {
		t.Error("the QR SVG differs from the QR image")
	}
	if got := queuetest.MustZbar(t, scale(fromSVG(t, svg, n, n), 4)); got != r.URL {
		t.Errorf("zbarimg read %q from the SVG's modules", got)
	}
	bars, err := r.BarcodeSVG()
	if err != nil {
		t.Fatal(err)
	}
	img, _ := r.BarcodeImage(1, 1)
	if got := fromSVG(t, bars, img.Bounds().Dx(), 1); !reflect.DeepEqual(got.Pix, img.Pix) {
		t.Error("the barcode SVG differs from the barcode image")
	}
	if _, err := (kiosk.Receipt{Number: "1"}).QRSVG(); err == nil {
		t.Error("QR SVG without a URL")
	}
}
