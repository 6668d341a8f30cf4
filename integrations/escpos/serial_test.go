package escpos_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/integrations/serialport/serialtest"
	"github.com/talon-queue/talon/kiosk"
)

// MustFakeSerial serves a fake printer on the far end of a pty pair.
func MustFakeSerial(tb testing.TB, path string, reply replyFunc) *fakePrinter {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	fake := newFake(reply)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fake.serve(f)
	}()
	tb.Cleanup(func() {
		f.Close()
		<-done
	})
	return fake
}

func TestSerialEncoderBytes(t *testing.T) {
	pair := serialtest.MustPair(t, "", "")
	near, far := pair.Near, pair.Far
	fake := MustFakeSerial(t, far, ready)
	conn, err := escpos.Serial(near, 115200)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var e escpos.Encoder
	e.Init()
	e.CodePage(17)
	e.Line("Талон №42 «А»")
	e.Cut()
	want := []byte{0x1b, 0x40, 0x1b, 0x74, 17,
		0x92, 0xa0, 0xab, 0xae, 0xad, ' ', 0xfc, '4', '2', ' ', '"', 0x80, '"', 0x0a,
		0x1d, 0x56, 66, 0}
	if _, err := conn.Write(e.Bytes()); err != nil {
		t.Fatal(err)
	}
	// The reply to a status query proves the bytes before it have arrived.
	if _, err := conn.Write(escpos.StatusQuery(1)); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if n, err := conn.Read(b[:]); n != 1 || b[0] != stOK {
		t.Fatalf("status reply = %#x, %v", b[0], err)
	}
	want = append(want, escpos.StatusQuery(1)...)
	if got := fake.received(); !bytes.Equal(got, want) {
		t.Errorf("far end got % x\nwant        % x", got, want)
	}
}

func TestPrintSerial(t *testing.T) {
	pair := serialtest.MustPair(t, "", "")
	near, far := pair.Near, pair.Far
	fake := MustFakeSerial(t, far, ready)
	prof := MustProfile(t, "generic-escpos-80-raster")
	p := &escpos.Printer{Profile: prof, Dial: escpos.Serial(near, 115200)}
	r := sampleReceipt()
	if err := p.Print(context.Background(), r); err != nil {
		t.Fatalf("Print = %v", err)
	}
	if got, want := fake.received(), cat(queries(), MustEncode(t, prof, r), queries()); !bytes.Equal(got, want) {
		t.Errorf("far end got %d bytes, want %d", len(got), len(want))
	}
}

func TestPrintSerialSilent(t *testing.T) {
	pair := serialtest.MustPair(t, "", "")
	near, far := pair.Near, pair.Far
	fake := MustFakeSerial(t, far, func(byte, int) (byte, bool) { return 0, false })
	p := &escpos.Printer{Profile: MustProfile(t, "generic-escpos-80"), Dial: escpos.Serial(near, 9600), ReplyTimeout: 300 * time.Millisecond}
	wantCode(t, p.Print(context.Background(), sampleReceipt()), kiosk.CodePrinterNoAnswer, false)
	if got := fake.received(); bytes.Contains(got, []byte{0x1b, 0x40}) {
		t.Errorf("ticket sent to a silent printer: % x", got)
	}
}
