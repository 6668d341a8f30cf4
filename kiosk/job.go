package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/talon-queue/talon/queue"
)

// NewReceipt lays out the paper ticket of p: the office and service names
// (in Russian, as printed), the number, the issue time in the office's time
// zone, the people ahead and the estimate while it waits, the live page at
// pageURL as a QR code and the ticket id as the barcode (digits only).
func NewReceipt(p queue.Printable, pageURL string) Receipt {
	t := p.Ticket
	loc, err := time.LoadLocation(p.Office.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	service := p.Service.Name.RU
	if service == "" {
		service = t.Service
	}
	r := Receipt{
		Office:  p.Office.Name.RU,
		Number:  t.Number,
		Service: service,
		Issued:  t.IssuedAt.In(loc),
		URL:     pageURL,
		Barcode: t.ID,
	}
	if t.Position > 0 {
		r.Ahead = t.Position - 1
		r.Wait = time.Duration(t.EstimatedWait) * time.Minute
	}
	return r
}

// PrintJob is a ticket to print on a kiosk's printer that a device agent
// drives: the server sends it over the office feed, the agent prints it
// (Print) and answers with a PrintResult naming the job. See web/ws.go for
// the messages.
type PrintJob struct {
	ID      string  `json:"id" doc:"job id, echoed in the result"`
	Kiosk   string  `json:"kiosk" doc:"client id of the kiosk whose printer this is"`
	Ticket  string  `json:"ticket" doc:"ticket id"`
	Profile string  `json:"profile" doc:"printer profile id (firmware-profiles/printers)"`
	Receipt Receipt `json:"receipt"`
}

// PrintResult is how a print job went: OK only when the printer confirmed
// the ticket (ready before the job and after the cut); else Code is one of
// PrintCodes. Status is the printer's state after the job, when known.
type PrintResult struct {
	Job    string        `json:"job,omitempty" doc:"the job id"`
	OK     bool          `json:"ok"`
	Code   string        `json:"code,omitempty" doc:"when not ok: printer_paper_out, printer_offline, printer_no_answer…"`
	Sent   bool          `json:"sent,omitempty" doc:"the ticket's bytes reached the printer (it may be partly printed)"`
	Status PrinterStatus `json:"status"`
}

// Print prints job on p and reports how it went, with the printer's status
// after a confirmed print (a near-end roll shows there) or the status that
// stopped it. It never returns an error: a failure is in the result.
func Print(ctx context.Context, p Printer, job PrintJob) PrintResult {
	err := p.Print(ctx, job.Receipt)
	res := ResultOf(job.ID, err)
	if err == nil {
		if st, err := p.Status(ctx); err == nil && st.Known {
			res.Status = st
		}
	}
	return res
}

// ResultOf turns what Printer.Print returned into a PrintResult.
func ResultOf(job string, err error) PrintResult {
	if err == nil {
		return PrintResult{Job: job, OK: true, Sent: true, Status: PrinterStatus{Known: true}}
	}
	var pe *PrintError
	if errors.As(err, &pe) && slices.Contains(PrintCodes(), pe.Code) {
		return PrintResult{Job: job, Code: pe.Code, Sent: pe.Sent, Status: pe.Status}
	}
	return PrintResult{Job: job, Code: CodePrinterUnreachable}
}

// Err returns the result as the error Printer.Print would have returned: nil
// when OK, else a *PrintError. A result that is neither OK nor carries a
// known code (a confused agent) is CodePrinterUnconfirmed.
func (r PrintResult) Err() error {
	if r.OK && r.Code == "" {
		return nil
	}
	code := r.Code
	if !slices.Contains(PrintCodes(), code) {
		code = CodePrinterUnconfirmed
	}
	return &PrintError{Code: code, Sent: r.Sent, Status: r.Status}
}

// receiptJSON is the wire form of a Receipt.
type receiptJSON struct {
	Office      string    `json:"office,omitempty"`
	Number      string    `json:"number"`
	Service     string    `json:"service,omitempty"`
	Issued      time.Time `json:"issued,omitzero" doc:"issue time with the office's UTC offset"`
	Ahead       int       `json:"ahead"`
	WaitSeconds int       `json:"wait_seconds,omitempty"`
	URL         string    `json:"url,omitempty" doc:"the live page, printed as a QR code"`
	Barcode     string    `json:"barcode,omitempty" doc:"digits printed as a CODE128 barcode"`
}

// MarshalJSON writes the receipt as {"office","number","service","issued",
// "ahead","wait_seconds","url","barcode"}; issued keeps the office's offset.
func (r Receipt) MarshalJSON() ([]byte, error) {
	return json.Marshal(receiptJSON{Office: r.Office, Number: r.Number, Service: r.Service, Issued: r.Issued,
		Ahead: r.Ahead, WaitSeconds: int(r.Wait / time.Second), URL: r.URL, Barcode: r.Barcode})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Receipt) UnmarshalJSON(b []byte) error {
	var w receiptJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Receipt{Office: w.Office, Number: w.Number, Service: w.Service, Issued: w.Issued, Ahead: w.Ahead,
		Wait: time.Duration(w.WaitSeconds) * time.Second, URL: w.URL, Barcode: w.Barcode}
	return nil
}
