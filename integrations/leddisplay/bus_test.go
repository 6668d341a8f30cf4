package leddisplay_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/integrations/leddisplay"
	"github.com/talon-queue/talon/integrations/serialport/serialtest"
)

// MustRun runs the bus until the test ends.
func MustRun(tb testing.TB, b *leddisplay.Bus) {
	tb.Helper()
	if b.Logger == nil {
		b.Logger = slog.New(slog.NewTextHandler(tb.Output(), nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run = %v", err)
		}
	})
}

func MustDisplay(tb testing.TB, b *leddisplay.Bus, p profiles.Display, addr int) *leddisplay.Display {
	tb.Helper()
	d, err := b.Display(p, addr)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func MustSet(tb testing.TB, d *leddisplay.Display, e leddisplay.Effect, text string) {
	tb.Helper()
	if err := d.Set(e, text); err != nil {
		tb.Fatal(err)
	}
}

// Every built-in profile, through a real serial port, byte for byte.
func TestBusWritesProfileFrames(t *testing.T) {
	for _, id := range []string{"qsystem-rs485", "alpha-betabrite", "led-485-modbus"} {
		t.Run(id, func(t *testing.T) {
			pair := serialtest.MustPair(t, "", "")
			dev := serialtest.MustOpen(t, pair.Far)
			p := MustProfile(t, id)
			bus := &leddisplay.Bus{Dial: leddisplay.Serial(pair.Near, 0, p)}
			d := MustDisplay(t, bus, p, 1)
			MustRun(t, bus)
			for _, f := range frames {
				if f.profile != id || f.addr != 1 {
					continue
				}
				MustSet(t, d, f.effect, f.text)
				if skipped := dev.Expect(t, MustHex(t, f.want)); len(skipped) != 0 {
					t.Errorf("%s %q: unexpected bytes before the frame: % x", f.effect, f.text, skipped)
				}
			}
		})
	}
}

// Several displays on one RS-485 line: each gets its own whole frame.
func TestBusChain(t *testing.T) {
	pair := serialtest.MustPair(t, "", "")
	dev := serialtest.MustOpen(t, pair.Far)
	p := MustProfile(t, "qsystem-rs485")
	bus := &leddisplay.Bus{Dial: leddisplay.Serial(pair.Near, 9600, p)}
	d1, d2 := MustDisplay(t, bus, p, 1), MustDisplay(t, bus, p, 2)
	if _, err := bus.Display(p, 2); err == nil {
		t.Error("second display at address 2: nil error")
	}
	if _, err := bus.Display(p, 0); err == nil {
		t.Error("address 0 for qsystem: nil error")
	}
	MustSet(t, d1, leddisplay.Show, "А001")
	MustSet(t, d2, leddisplay.Show, "Б002")
	MustRun(t, bus)
	dev.Expect(t, MustHex(t, "01 01 c0 30 30 31 07 01 02 c1 30 30 32 07"))
	MustSet(t, d2, leddisplay.Clear, "")
	dev.Expect(t, MustHex(t, "01 02 20 20 20 20 20 20 20 07"))
	if e, text := d1.State(); e != leddisplay.Show || text != "А001" {
		t.Errorf("d1 state = %s %q", e, text)
	}
}

// watchDial wraps a Dialer and reports each failed attempt, so a test can
// wait until the bus has noticed an unplugged port.
func watchDial(dial leddisplay.Dialer) (leddisplay.Dialer, <-chan error) {
	failed := make(chan error, 100)
	return func(ctx context.Context) (leddisplay.Conn, error) {
		c, err := dial(ctx)
		if err != nil {
			select {
			case failed <- err:
			default:
			}
		}
		return c, err
	}, failed
}

func waitFailedDial(t *testing.T, failed <-chan error) {
	t.Helper()
	select {
	case <-failed:
	case <-time.After(10 * time.Second):
		t.Fatal("the bus never noticed the unplugged port")
	}
}

// Unplug the adapter and plug it back in under the same name: the display
// gets its current state again, including a change made while it was away.
func TestBusReplug(t *testing.T) {
	dir := t.TempDir()
	near, far := filepath.Join(dir, "win1"), filepath.Join(dir, "far1")
	p := MustProfile(t, "alpha-betabrite")
	dial, failed := watchDial(leddisplay.Serial(near, 0, p))
	bus := &leddisplay.Bus{Dial: dial, Refresh: -1, Check: 20 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	d := MustDisplay(t, bus, p, 1)

	pair := serialtest.MustPair(t, near, far)
	dev := serialtest.MustOpen(t, far)
	MustSet(t, d, leddisplay.Show, "А042")
	MustRun(t, bus)
	show42 := MustHex(t, "00 00 00 00 00 01 5a 30 31 02 41 41 1b 20 62 41 30 34 32 03 30 31 46 42 04")
	dev.Expect(t, show42)

	pair.Unplug(t)
	waitFailedDial(t, failed)
	pair = serialtest.MustPair(t, near, far)
	dev = serialtest.MustOpen(t, far)
	dev.Expect(t, show42)

	pair.Unplug(t)
	waitFailedDial(t, failed)
	MustSet(t, d, leddisplay.Blink, "А043") // called while the display is away
	_ = serialtest.MustPair(t, near, far)
	dev = serialtest.MustOpen(t, far)
	dev.Expect(t, MustEncode(t, p, 1, leddisplay.Blink, "А043"))
	if got := dev.Received(); string(got) != string(MustEncode(t, p, 1, leddisplay.Blink, "А043")) {
		t.Errorf("after the second replug the display got % x, want only the current state", got)
	}
}

// fakeConn records writes and fails them when told to.
type fakeConn struct {
	mu     sync.Mutex
	writes [][]byte
	fail   bool
	closed bool
	wrote  chan struct{}
}

func (c *fakeConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return 0, errors.New("write /dev/ttyUSB0: input/output error")
	}
	c.writes = append(c.writes, append([]byte(nil), b...))
	c.wrote <- struct{}{}
	return len(b), nil
}

func (c *fakeConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *fakeConn) setFail(v bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = v
}

func (c *fakeConn) state() ([][]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes, c.closed
}

func waitWrites(t *testing.T, c *fakeConn, n int) {
	t.Helper()
	for range n {
		select {
		case <-c.wrote:
		case <-time.After(10 * time.Second):
			t.Fatalf("waiting for %d writes", n)
		}
	}
}

// A write error closes the port; the bus opens it again and re-sends the
// state of every display on it.
func TestBusWriteErrorReopens(t *testing.T) {
	p := MustProfile(t, "led-485-modbus")
	conns := make(chan *fakeConn, 2)
	c1, c2 := &fakeConn{wrote: make(chan struct{}, 10)}, &fakeConn{wrote: make(chan struct{}, 10)}
	conns <- c1
	conns <- c2
	bus := &leddisplay.Bus{Refresh: -1, MinBackoff: time.Millisecond,
		Dial: func(ctx context.Context) (leddisplay.Conn, error) {
			select {
			case c := <-conns:
				return c, nil
			default:
				return nil, errors.New("no more ports")
			}
		}}
	d1, d2 := MustDisplay(t, bus, p, 1), MustDisplay(t, bus, p, 2)
	MustSet(t, d1, leddisplay.Show, "А1")
	MustSet(t, d2, leddisplay.Show, "Б2")
	MustRun(t, bus)
	waitWrites(t, c1, 2)
	c1.setFail(true)
	MustSet(t, d1, leddisplay.Blink, "В3")
	waitWrites(t, c2, 2)
	if _, closed := c1.state(); !closed {
		t.Error("the failed port was not closed")
	}
	got, _ := c2.state()
	want := [][]byte{MustEncode(t, p, 1, leddisplay.Blink, "В3"), MustEncode(t, p, 2, leddisplay.Show, "Б2")}
	if len(got) != 2 || string(got[0]) != string(want[0]) || string(got[1]) != string(want[1]) {
		t.Errorf("after reopen: % x, want % x", got, want)
	}
	// Setting what a display already shows writes nothing.
	MustSet(t, d2, leddisplay.Show, "Б2")
	MustSet(t, d1, leddisplay.Clear, "ignored")
	waitWrites(t, c2, 1)
	if got, _ := c2.state(); len(got) != 3 || string(got[2]) != string(MustEncode(t, p, 1, leddisplay.Clear, "")) {
		t.Errorf("writes = % x", got)
	}
}
