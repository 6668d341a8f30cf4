package escpos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/kiosk"
)

var _ kiosk.Printer = (*Printer)(nil)

// Default timeouts of a Printer.
const (
	DefaultReplyTimeout = 2 * time.Second  // per status reply
	DefaultWriteTimeout = 30 * time.Second // for the ticket bytes (slow serial ports)
)

// Printer is a ticket printer speaking ESC/POS. Set the fields, then share
// it: jobs on one Printer run one at a time.
type Printer struct {
	Profile profiles.Printer // commands and paper of this model
	Dial    Dialer           // TCP(addr) or Serial(name, baud)

	// ReplyTimeout bounds the wait for each status reply; a printer that
	// does not answer in time is "unknown". Zero means DefaultReplyTimeout.
	ReplyTimeout time.Duration
	// WriteTimeout bounds sending one ticket. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// Settle is how long to wait after the cut before the confirming status
	// query, so a roll that ran out mid-ticket is seen. DLE EOT is answered
	// in real time, possibly before the printer has finished printing.
	Settle time.Duration

	mu sync.Mutex
}

// Print implements kiosk.Printer: it checks the status (DLE EOT 1, 2, 4),
// sends the ticket, waits Settle and checks the status again. A profile with
// status "none" cannot confirm: the ticket is sent and Print returns
// CodePrinterUnconfirmed with Sent set.
func (p *Printer) Print(ctx context.Context, r kiosk.Receipt) error {
	data, err := EncodeReceipt(p.Profile, r)
	if err != nil {
		var pe *kiosk.PrintError
		if errors.As(err, &pe) {
			return pe
		}
		return &kiosk.PrintError{Code: kiosk.CodeReceiptInvalid, Err: err}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, stop, err := p.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	defer stop()

	queries := p.Profile.Status == profiles.StatusDLEEOT
	if queries {
		if err := p.check(ctx, c, false); err != nil {
			return err
		}
	}
	if err := c.SetDeadline(p.deadline(ctx, p.WriteTimeout, DefaultWriteTimeout)); err != nil {
		return &kiosk.PrintError{Code: kiosk.CodePrinterUnreachable, Err: err}
	}
	if n, err := c.Write(data); err != nil {
		return &kiosk.PrintError{Code: kiosk.CodePrinterUnreachable, Sent: n > 0, Err: ctxErr(ctx, fmt.Errorf("escpos: write ticket: %w", err))}
	}
	if !queries {
		return &kiosk.PrintError{Code: kiosk.CodePrinterUnconfirmed, Sent: true}
	}
	if p.Settle > 0 {
		t := time.NewTimer(p.Settle)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return &kiosk.PrintError{Code: kiosk.CodePrinterNoAnswer, Sent: true, Err: ctx.Err()}
		}
	}
	return p.check(ctx, c, true)
}

// Status implements kiosk.Printer. A profile with status "none" yields an
// unknown status without opening the link.
func (p *Printer) Status(ctx context.Context) (kiosk.PrinterStatus, error) {
	if p.Profile.Status != profiles.StatusDLEEOT {
		return kiosk.PrinterStatus{}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, stop, err := p.open(ctx)
	if err != nil {
		return kiosk.PrinterStatus{}, err
	}
	defer c.Close()
	defer stop()
	st, err := p.query(ctx, c)
	if err != nil {
		return kiosk.PrinterStatus{}, &kiosk.PrintError{Code: kiosk.CodePrinterUnreachable, Err: err}
	}
	return st, nil
}

// open dials the printer and arranges for ctx cancellation to interrupt I/O.
func (p *Printer) open(ctx context.Context) (Conn, func() bool, error) {
	if p.Dial == nil {
		return nil, nil, &kiosk.PrintError{Code: kiosk.CodePrinterUnreachable, Err: errors.New("escpos: printer has no Dial")}
	}
	c, err := p.Dial(ctx)
	if err != nil {
		return nil, nil, &kiosk.PrintError{Code: kiosk.CodePrinterUnreachable, Err: ctxErr(ctx, err)}
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	return c, stop, nil
}

// check queries the status and turns anything but "ready" into a PrintError.
func (p *Printer) check(ctx context.Context, c Conn, sent bool) error {
	st, err := p.query(ctx, c)
	if err != nil {
		return &kiosk.PrintError{Code: kiosk.CodePrinterUnreachable, Sent: sent, Err: err}
	}
	if code := st.Problem(); code != "" {
		return &kiosk.PrintError{Code: code, Sent: sent, Status: st, Err: ctx.Err()}
	}
	return nil
}

// query sends DLE EOT 1, 2 and 4 and reads one byte after each. A timeout
// gives an unknown status and no error; other I/O failures are errors.
func (p *Printer) query(ctx context.Context, c Conn) (kiosk.PrinterStatus, error) {
	var replies [3]byte
	for i, n := range []byte{1, 2, 4} {
		if err := c.SetDeadline(p.deadline(ctx, p.ReplyTimeout, DefaultReplyTimeout)); err != nil {
			return kiosk.PrinterStatus{}, fmt.Errorf("escpos: status %d: %w", n, err)
		}
		if _, err := c.Write(StatusQuery(n)); err != nil {
			if isTimeout(err) {
				return kiosk.PrinterStatus{}, nil
			}
			return kiosk.PrinterStatus{}, ctxErr(ctx, fmt.Errorf("escpos: status %d: %w", n, err))
		}
		var b [1]byte
		for {
			k, err := c.Read(b[:])
			if k == 1 {
				break
			}
			if isTimeout(err) {
				return kiosk.PrinterStatus{}, nil
			}
			if err != nil {
				return kiosk.PrinterStatus{}, ctxErr(ctx, fmt.Errorf("escpos: status %d: read: %w", n, err))
			}
		}
		if !validStatus(b[0]) {
			return kiosk.PrinterStatus{}, nil
		}
		replies[i] = b[0]
	}
	return ParseStatus(replies[0], replies[1], replies[2]), nil
}

// deadline is now+d (or def when d is 0), but no later than ctx's deadline.
func (p *Printer) deadline(ctx context.Context, d, def time.Duration) time.Time {
	if d <= 0 {
		d = def
	}
	t := time.Now().Add(d)
	if cd, ok := ctx.Deadline(); ok && cd.Before(t) {
		t = cd
	}
	if ctx.Err() != nil {
		t = time.Unix(1, 0)
	}
	return t
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// ctxErr prefers the context's error when ctx ended, so callers can match
// context.Canceled and context.DeadlineExceeded.
func ctxErr(ctx context.Context, err error) error {
	if ce := ctx.Err(); ce != nil {
		return fmt.Errorf("%w (%w)", ce, err)
	}
	return err
}

// EncodeReceipt returns the complete ESC/POS job that prints r on a printer
// with profile p: init, code page, the kiosk layout, QR (native or raster per
// profile), CODE128, feed and cut.
func EncodeReceipt(p profiles.Printer, r kiosk.Receipt) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("escpos: %w", err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var e Encoder
	e.Init()
	e.CodePage(byte(p.CodePage))
	align, bold, scale := kiosk.AlignLeft, false, 1
	setAlign := func(a kiosk.Align) {
		if a != align {
			e.Align(a)
			align = a
		}
	}
	for _, l := range r.Lines(p.Columns) {
		switch l.Kind {
		case kiosk.LineText:
			setAlign(l.Align)
			if l.Bold != bold {
				e.Bold(l.Bold)
				bold = l.Bold
			}
			if s := max(1, min(l.Scale, 8)); s != scale {
				_ = e.Size(s, s) // s is in range
				scale = s
			}
			e.Line(l.Text)
		case kiosk.LineRule:
			if scale != 1 {
				_ = e.Size(1, 1)
				scale = 1
			}
			e.Line(strings.Repeat("-", p.Columns))
		case kiosk.LineQR:
			if p.QR == profiles.QRNone {
				continue
			}
			if err := encodeQR(&e, p, r, setAlign); err != nil {
				return nil, err
			}
		case kiosk.LineBarcode:
			if p.Barcode == profiles.BarcodeNone {
				continue
			}
			width := p.BarcodeWidth
			for width > 1 && width*Code128Modules(len(l.Text)) > p.Dots {
				width--
			}
			setAlign(kiosk.AlignCenter)
			if err := e.Code128(l.Text, width, p.BarcodeHeight); err != nil {
				return nil, &kiosk.PrintError{Code: kiosk.CodeReceiptInvalid, Err: err}
			}
		}
	}
	if bold {
		e.Bold(false)
	}
	if scale != 1 {
		_ = e.Size(1, 1)
	}
	e.Feed(p.FeedLines)
	e.Raw(p.Cut)
	return e.Bytes(), nil
}

// encodeQR draws r.URL as the profile says: native GS ( k, or a GS v 0
// raster centred on the paper. The module size shrinks to fit the paper.
func encodeQR(e *Encoder, p profiles.Printer, r kiosk.Receipt, setAlign func(kiosk.Align)) error {
	img, err := r.QRImage(p.QRECC)
	if err != nil {
		return &kiosk.PrintError{Code: kiosk.CodeReceiptInvalid, Err: err}
	}
	side := img.Bounds().Dx() // modules, quiet zone included
	module := min(p.QRModule, p.Dots/side)
	if module < 1 {
		return &kiosk.PrintError{Code: kiosk.CodeReceiptInvalid, Err: fmt.Errorf("escpos: qr of %d modules does not fit %d dots", side, p.Dots)}
	}
	if p.QR == profiles.QRNative {
		setAlign(kiosk.AlignCenter)
		if err := e.QR(r.URL, module, p.QRECC[0]); err != nil {
			return &kiosk.PrintError{Code: kiosk.CodeReceiptInvalid, Err: err}
		}
		e.Line("")
		return nil
	}
	setAlign(kiosk.AlignLeft)
	left := (p.Dots - side*module) / 2
	if err := e.Raster(img, module, left); err != nil {
		return &kiosk.PrintError{Code: kiosk.CodeReceiptInvalid, Err: err}
	}
	return nil
}
