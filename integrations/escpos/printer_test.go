package escpos_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/kiosk"
)

// Status bytes a printer sends (fixed bits 0x12 plus flags).
const (
	stOK       = 0x12
	stOffline  = 0x1a // DLE EOT 1: offline
	stNearEnd  = 0x1e // DLE EOT 4: near end
	stPaperOut = 0x72 // DLE EOT 4: near end + roll end
	stStopped  = 0x32 // DLE EOT 2: stopped by paper end
	stCover    = 0x16 // DLE EOT 2: cover open
)

// replyFunc answers the i-th status query (counted over the fake's life) for
// DLE EOT n; ok false means stay silent.
type replyFunc func(n byte, i int) (b byte, ok bool)

func ready(byte, int) (byte, bool) { return stOK, true }

// paperOutFrom answers "ready" to the first `from` queries, then paper out.
func paperOutFrom(from int) replyFunc {
	return func(n byte, i int) (byte, bool) {
		if i < from {
			return stOK, true
		}
		return map[byte]byte{1: stOffline, 2: stStopped, 4: stPaperOut}[n], true
	}
}

// fakePrinter records what it receives and answers DLE EOT as a printer
// would: on the fly, wherever the sequence appears in the stream.
type fakePrinter struct {
	reply replyFunc
	conns chan []byte // the bytes of each connection, sent when it closes

	mu      sync.Mutex
	queries int
	all     []byte // everything received, over all connections
}

func newFake(reply replyFunc) *fakePrinter {
	return &fakePrinter{reply: reply, conns: make(chan []byte, 16)}
}

// serve reads rw until it fails, answering status queries, then publishes
// what it got.
func (f *fakePrinter) serve(rw io.ReadWriter) {
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := rw.Read(buf)
		for _, c := range buf[:n] {
			got = append(got, c)
			f.mu.Lock()
			f.all = append(f.all, c)
			f.mu.Unlock()
			if k := len(got); k >= 3 && got[k-3] == 0x10 && got[k-2] == 0x04 {
				f.mu.Lock()
				i := f.queries
				f.queries++
				f.mu.Unlock()
				if b, ok := f.reply(c, i); ok {
					if _, err := rw.Write([]byte{b}); err != nil {
						break
					}
				}
			}
		}
		if err != nil {
			break
		}
	}
	f.conns <- got
}

// received returns everything received so far. Bytes sent before a status
// query that has been answered are all in it.
func (f *fakePrinter) received() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Clone(f.all)
}

// next returns the bytes of the next closed connection.
func (f *fakePrinter) next(tb testing.TB) []byte {
	tb.Helper()
	select {
	case b := <-f.conns:
		return b
	case <-time.After(10 * time.Second):
		tb.Fatal("fake printer: no connection closed")
		return nil
	}
}

// MustFakeTCP starts a fake network printer on 127.0.0.1:0.
func MustFakeTCP(tb testing.TB, reply replyFunc) (*fakePrinter, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	f := newFake(reply)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				f.serve(c)
			}()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return f, ln.Addr().String()
}

func queries() []byte {
	return bytes.Join([][]byte{escpos.StatusQuery(1), escpos.StatusQuery(2), escpos.StatusQuery(4)}, nil)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func wantCode(tb testing.TB, err error, code string, sent bool) *kiosk.PrintError {
	tb.Helper()
	var pe *kiosk.PrintError
	if !errors.As(err, &pe) {
		tb.Fatalf("err = %v, want *kiosk.PrintError %s", err, code)
	}
	if pe.Code != code || pe.Sent != sent {
		tb.Fatalf("err = %v (code %s, sent %v), want code %s, sent %v", err, pe.Code, pe.Sent, code, sent)
	}
	return pe
}

func TestPrintTCP(t *testing.T) {
	fake, addr := MustFakeTCP(t, ready)
	prof := MustProfile(t, "generic-escpos-80")
	p := &escpos.Printer{Profile: prof, Dial: escpos.TCP(addr)}
	r := sampleReceipt()
	if err := p.Print(context.Background(), r); err != nil {
		t.Fatalf("Print = %v", err)
	}
	got, want := fake.next(t), cat(queries(), MustEncode(t, prof, r), queries())
	if !bytes.Equal(got, want) {
		t.Errorf("printer received %d bytes, want %d:\n got % x\nwant % x", len(got), len(want), got, want)
	}
}

func TestPrintPaperOutBefore(t *testing.T) {
	fake, addr := MustFakeTCP(t, paperOutFrom(0))
	p := &escpos.Printer{Profile: MustProfile(t, "generic-escpos-80"), Dial: escpos.TCP(addr)}
	err := p.Print(context.Background(), sampleReceipt())
	pe := wantCode(t, err, kiosk.CodePrinterPaperOut, false)
	if !pe.Status.Known || !pe.Status.PaperOut {
		t.Errorf("status = %+v", pe.Status)
	}
	if !errors.Is(err, &kiosk.PrintError{Code: kiosk.CodePrinterPaperOut}) {
		t.Error("errors.Is(paper out) = false")
	}
	if got := fake.next(t); !bytes.Equal(got, queries()) {
		t.Errorf("printer received % x, want only the status queries (no ticket)", got)
	}
}

func TestPrintPaperOutAfter(t *testing.T) {
	fake, addr := MustFakeTCP(t, paperOutFrom(3)) // ready before, empty after the cut
	prof := MustProfile(t, "generic-escpos-80")
	p := &escpos.Printer{Profile: prof, Dial: escpos.TCP(addr)}
	err := p.Print(context.Background(), sampleReceipt())
	wantCode(t, err, kiosk.CodePrinterPaperOut, true)
	if got, want := fake.next(t), cat(queries(), MustEncode(t, prof, sampleReceipt()), queries()); !bytes.Equal(got, want) {
		t.Errorf("printer received %d bytes, want %d", len(got), len(want))
	}
}

func TestPrintNotReady(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply replyFunc
		code  string
	}{
		{"cover open", func(n byte, _ int) (byte, bool) {
			return map[byte]byte{1: stOffline, 2: stCover, 4: stOK}[n], true
		}, kiosk.CodePrinterCoverOpen},
		{"offline", func(n byte, _ int) (byte, bool) {
			return map[byte]byte{1: stOffline, 2: stOK, 4: stOK}[n], true
		}, kiosk.CodePrinterOffline},
		{"silent", func(byte, int) (byte, bool) { return 0, false }, kiosk.CodePrinterNoAnswer},
		{"garbage", func(byte, int) (byte, bool) { return 0x00, true }, kiosk.CodePrinterNoAnswer},
		{"silent on paper query", func(n byte, _ int) (byte, bool) { return stOK, n != 4 }, kiosk.CodePrinterNoAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, addr := MustFakeTCP(t, tc.reply)
			p := &escpos.Printer{Profile: MustProfile(t, "generic-escpos-80"), Dial: escpos.TCP(addr), ReplyTimeout: 100 * time.Millisecond}
			err := p.Print(context.Background(), sampleReceipt())
			wantCode(t, err, tc.code, false)
			if got := fake.next(t); bytes.Contains(got, []byte{0x1b, 0x40}) {
				t.Errorf("ticket sent to a printer that is not ready: % x", got)
			}
		})
	}
}

func TestStatusTCP(t *testing.T) {
	fake, addr := MustFakeTCP(t, func(n byte, _ int) (byte, bool) {
		if n == 4 {
			return stNearEnd, true
		}
		return stOK, true
	})
	p := &escpos.Printer{Profile: MustProfile(t, "generic-escpos-80"), Dial: escpos.TCP(addr)}
	st, err := p.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (kiosk.PrinterStatus{Known: true, PaperNearEnd: true}); st != want || !st.Ready() {
		t.Errorf("Status = %+v, want %+v (ready)", st, want)
	}
	if got := fake.next(t); !bytes.Equal(got, queries()) {
		t.Errorf("printer received % x", got)
	}
	// Near end does not stop printing.
	if err := p.Print(context.Background(), sampleReceipt()); err != nil {
		t.Errorf("Print with paper near end = %v", err)
	}
}

func TestStatusSilentIsUnknown(t *testing.T) {
	_, addr := MustFakeTCP(t, func(byte, int) (byte, bool) { return 0, false })
	p := &escpos.Printer{Profile: MustProfile(t, "generic-escpos-80"), Dial: escpos.TCP(addr), ReplyTimeout: 50 * time.Millisecond}
	st, err := p.Status(context.Background())
	if err != nil || st.Known || st.Ready() {
		t.Errorf("Status of a silent printer = %+v, %v; want unknown, nil", st, err)
	}
}

func TestPrintUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &escpos.Printer{Profile: MustProfile(t, "generic-escpos-80"), Dial: escpos.TCP(addr)}
	wantCode(t, p.Print(context.Background(), sampleReceipt()), kiosk.CodePrinterUnreachable, false)
	if _, err := p.Status(context.Background()); !errors.Is(err, &kiosk.PrintError{Code: kiosk.CodePrinterUnreachable}) {
		t.Errorf("Status = %v, want %s", err, kiosk.CodePrinterUnreachable)
	}
}

func TestPrintCancelledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The printer never answers; the kiosk gives up (ctx) long before the
	// reply timeout.
	_, addr := MustFakeTCP(t, func(byte, int) (byte, bool) { cancel(); return 0, false })
	p := &escpos.Printer{Profile: MustProfile(t, "generic-escpos-80"), Dial: escpos.TCP(addr), ReplyTimeout: time.Minute}
	err := p.Print(ctx, sampleReceipt())
	wantCode(t, err, kiosk.CodePrinterNoAnswer, false)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
}

func TestPrintWithoutStatusIsUnconfirmed(t *testing.T) {
	fake, addr := MustFakeTCP(t, ready)
	prof := MustProfile(t, "generic-escpos-80")
	prof.Status = profiles.StatusNone
	p := &escpos.Printer{Profile: prof, Dial: escpos.TCP(addr)}
	wantCode(t, p.Print(context.Background(), sampleReceipt()), kiosk.CodePrinterUnconfirmed, true)
	if got, want := fake.next(t), MustEncode(t, prof, sampleReceipt()); !bytes.Equal(got, want) {
		t.Errorf("printer received %d bytes, want the %d-byte ticket only", len(got), len(want))
	}
	st, err := p.Status(context.Background())
	if err != nil || st.Known {
		t.Errorf("Status = %+v, %v; want unknown, nil", st, err)
	}
}

func TestPrintInvalidReceiptSendsNothing(t *testing.T) {
	dialled := false
	p := &escpos.Printer{Profile: MustProfile(t, "generic-escpos-80"), Dial: func(context.Context) (escpos.Conn, error) {
		dialled = true
		return nil, errors.New("unused")
	}}
	r := sampleReceipt()
	r.Barcode = "A042"
	wantCode(t, p.Print(context.Background(), r), kiosk.CodeReceiptInvalid, false)
	if dialled {
		t.Error("Print dialled the printer for an invalid receipt")
	}
}
