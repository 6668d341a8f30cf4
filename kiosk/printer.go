package kiosk

import (
	"context"
	"fmt"
)

// Printer prints tickets. Adapters (integrations/escpos) implement it; the
// kiosk flow keeps a ticket pending until Print returns nil.
type Printer interface {
	// Print prints r and confirms the printer's status before sending and
	// after the cut. It returns nil only when both checks answered "ready".
	// Otherwise it returns a *PrintError with code CodeReceiptInvalid,
	// CodePrinterUnreachable, CodePrinterNoAnswer, CodePrinterOffline,
	// CodePrinterCoverOpen, CodePrinterPaperOut, CodePrinterFailed or
	// CodePrinterUnconfirmed; PrintError.Sent says whether the ticket bytes
	// reached the printer.
	Print(ctx context.Context, r Receipt) error
	// Status asks the printer for its state. A printer that does not answer
	// in time yields a status with Known false and a nil error; an error
	// (*PrintError, CodePrinterUnreachable) means the link could not be used.
	Status(ctx context.Context) (PrinterStatus, error)
}

// PrinterStatus is what a printer reported about itself. The zero value is
// "unknown", which is never ready.
type PrinterStatus struct {
	Known        bool `json:"known" doc:"the printer answered every status query in time"`
	Offline      bool `json:"offline,omitempty" doc:"the printer says it is offline"`
	CoverOpen    bool `json:"cover_open,omitempty" doc:"the cover is open"`
	PaperOut     bool `json:"paper_out,omitempty" doc:"the roll is empty"`
	PaperNearEnd bool `json:"paper_near_end,omitempty" doc:"the roll is nearly empty; printing still works"`
	Failed       bool `json:"failed,omitempty" doc:"a cutter, mechanical or unrecoverable error occurred"`
}

// Ready reports whether a ticket can be printed: the printer answered and
// reports no problem. A near-end roll is ready (staff should be told).
func (s PrinterStatus) Ready() bool { return s.Problem() == "" }

// Problem returns the error code that explains why s is not ready, or "" when
// it is ready. Paper out wins over the rest because it is what staff fix.
func (s PrinterStatus) Problem() string {
	switch {
	case !s.Known:
		return CodePrinterNoAnswer
	case s.PaperOut:
		return CodePrinterPaperOut
	case s.CoverOpen:
		return CodePrinterCoverOpen
	case s.Failed:
		return CodePrinterFailed
	case s.Offline:
		return CodePrinterOffline
	}
	return ""
}

// Print error codes. They are stable: the kiosk page and the manager's
// device panel map them to messages.
const (
	CodeReceiptInvalid     = "receipt_invalid"     // the receipt cannot be printed as given
	CodePrinterUnreachable = "printer_unreachable" // the link could not be opened or written
	CodePrinterNoAnswer    = "printer_no_answer"   // no valid status reply in time: unknown
	CodePrinterOffline     = "printer_offline"
	CodePrinterCoverOpen   = "printer_cover_open"
	CodePrinterPaperOut    = "printer_paper_out"
	CodePrinterFailed      = "printer_failed"      // cutter, mechanical or unrecoverable error
	CodePrinterUnconfirmed = "printer_unconfirmed" // sent to a printer that cannot report status
)

// PrintCodes returns every code a PrintError can carry.
func PrintCodes() []string {
	return []string{
		CodeReceiptInvalid, CodePrinterUnreachable, CodePrinterNoAnswer, CodePrinterOffline,
		CodePrinterCoverOpen, CodePrinterPaperOut, CodePrinterFailed, CodePrinterUnconfirmed,
	}
}

// PrintError says why a ticket was not confirmed as printed.
type PrintError struct {
	Code   string        // one of the Code* constants above
	Sent   bool          // the ticket bytes were written to the printer (it may be partly printed)
	Status PrinterStatus // the status that caused the error, when one was read
	Err    error         // the underlying cause, if any
}

// Error implements error.
func (e *PrintError) Error() string {
	stage := "before printing"
	if e.Sent {
		stage = "after sending"
	}
	if e.Err != nil {
		return fmt.Sprintf("print: %s %s: %v", e.Code, stage, e.Err)
	}
	return fmt.Sprintf("print: %s %s", e.Code, stage)
}

// Unwrap returns the underlying cause.
func (e *PrintError) Unwrap() error { return e.Err }

// Is reports whether target is a *PrintError with the same code, so that
// errors.Is(err, &kiosk.PrintError{Code: kiosk.CodePrinterPaperOut}) works.
func (e *PrintError) Is(target error) bool {
	t, ok := target.(*PrintError)
	return ok && t.Code == e.Code
}
