package leddisplay

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/integrations/serialport"
)

// Conn is an open link to the displays of one bus. *serialport.Port
// satisfies it. If the Conn also has SetDeadline(time.Time) error, each write
// is bounded by Bus.WriteTimeout; if it has Replaced() bool, the bus checks
// it every Bus.Check and opens the port again when it reports true.
type Conn interface {
	io.WriteCloser
}

// Dialer opens the Conn of a bus. The bus calls it again after a failure.
type Dialer func(ctx context.Context) (Conn, error)

// Serial returns a Dialer for a serial port (a device such as
// /dev/serial/by-id/usb-…) in the mode of profile p at baud (0 = the
// profile's baud).
func Serial(name string, baud int, p profiles.Display) Dialer {
	if baud == 0 {
		baud = p.Baud
	}
	mode := serialport.Mode{Baud: baud, DataBits: p.DataBits, Parity: serialport.Parity(p.Parity), StopBits: p.StopBits}
	return func(ctx context.Context) (Conn, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		port, err := serialport.Open(name, mode)
		if err != nil {
			return nil, fmt.Errorf("leddisplay: %w", err)
		}
		return port, nil
	}
}

var _ Conn = (*serialport.Port)(nil)

// Defaults of the Bus timing fields.
const (
	DefaultRefresh      = 30 * time.Second
	DefaultCheck        = time.Second
	DefaultMinBackoff   = 200 * time.Millisecond
	DefaultMaxBackoff   = 10 * time.Second
	DefaultWriteTimeout = 2 * time.Second
)

// Bus is one serial line and the displays on it. Set the fields, add
// displays with Display, then call Run; Display.Set may be called from any
// goroutine at any time.
type Bus struct {
	Dial   Dialer
	Logger *slog.Logger // nil: slog.Default()

	Refresh      time.Duration // re-send every display's state this often; 0 = DefaultRefresh, negative = never
	Check        time.Duration // how often to ask the port whether its device is still there; 0 = DefaultCheck
	MinBackoff   time.Duration // first wait after a failure; 0 = DefaultMinBackoff
	MaxBackoff   time.Duration // longest wait between attempts; 0 = DefaultMaxBackoff
	WriteTimeout time.Duration // bound of one frame's write; 0 = DefaultWriteTimeout

	mu       sync.Mutex
	displays []*Display
	wake     chan struct{}
}

// Display is one addressed display on a bus.
type Display struct {
	bus     *Bus
	profile profiles.Display
	address int

	// guarded by bus.mu
	effect  Effect
	text    string
	frame   []byte
	version uint64 // bumped by each change; 0 = never set
	sent    uint64 // version last written to the current port
}

// Display adds the display at address, speaking profile p, to the bus.
func (b *Bus) Display(p profiles.Display, address int) (*Display, error) {
	if address < p.Address.Min || address > p.Address.Max {
		return nil, fmt.Errorf("leddisplay: %s: address %d out of range %d..%d", p.ID, address, p.Address.Min, p.Address.Max)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range b.displays {
		if d.address == address {
			return nil, fmt.Errorf("leddisplay: address %d used twice on one bus", address)
		}
	}
	d := &Display{bus: b, profile: p, address: address}
	b.displays = append(b.displays, d)
	return d, nil
}

// Set makes the display do effect with text: the frame is encoded now (an
// encoding error leaves the display as it was) and written by the bus as soon
// as the port allows. Setting the state the display already has is a no-op.
func (d *Display) Set(e Effect, text string) error {
	if e == Clear {
		text = ""
	}
	frame, err := Encode(d.profile, d.address, e, text)
	if err != nil {
		return err
	}
	b := d.bus
	b.mu.Lock()
	if d.version != 0 && d.effect == e && d.text == text {
		b.mu.Unlock()
		return nil
	}
	d.effect, d.text, d.frame = e, text, frame
	d.version++
	b.mu.Unlock()
	b.poke()
	return nil
}

// State returns what the display was last set to ("" before the first Set).
func (d *Display) State() (Effect, string) {
	d.bus.mu.Lock()
	defer d.bus.mu.Unlock()
	return d.effect, d.text
}

// Address returns the display's address on its bus.
func (d *Display) Address() int { return d.address }

func (b *Bus) wakeChan() chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.wake == nil {
		b.wake = make(chan struct{}, 1)
	}
	return b.wake
}

func (b *Bus) poke() {
	select {
	case b.wakeChan() <- struct{}{}:
	default:
	}
}

// resendAll marks every display that has a state as not yet sent.
func (b *Bus) resendAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range b.displays {
		d.sent = 0
	}
}

// next returns a display whose state is not yet written, its frame and version.
func (b *Bus) next() (*Display, []byte, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range b.displays {
		if d.version != 0 && d.sent != d.version {
			return d, d.frame, d.version
		}
	}
	return nil, nil, 0
}

func (b *Bus) markSent(d *Display, v uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d.sent = v
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// Run owns the port until ctx is done: it opens the port (again after every
// failure, with backoff), writes each display's state when it changes, and
// re-sends them all after a reopen and every Refresh. It returns nil when ctx
// is cancelled.
func (b *Bus) Run(ctx context.Context) error {
	log := b.Logger
	if log == nil {
		log = slog.Default()
	}
	minB, maxB := orDefault(b.MinBackoff, DefaultMinBackoff), orDefault(b.MaxBackoff, DefaultMaxBackoff)
	backoff := minB
	wake := b.wakeChan()
	refresh := orDefault(b.Refresh, DefaultRefresh)
	var refreshC <-chan time.Time
	if refresh > 0 {
		t := time.NewTicker(refresh)
		defer t.Stop()
		refreshC = t.C
	}
	check := time.NewTicker(orDefault(b.Check, DefaultCheck))
	defer check.Stop()

	var conn Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	down := false // an outage is logged once, when it starts, and once when it ends
	w := writer{timeout: orDefault(b.WriteTimeout, DefaultWriteTimeout)}
	for {
		if conn == nil {
			c, err := b.Dial(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if !down {
					log.Warn("display port unavailable; retrying", "err", err)
					down = true
				}
				if !sleep(ctx, backoff) {
					return nil
				}
				backoff = min(backoff*2, maxB)
				continue
			}
			conn = c
			b.resendAll()
		}
		if err := w.flush(ctx, b, conn); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			conn.Close()
			conn = nil
			if !down {
				log.Warn("display port write failed; reopening", "err", err)
				down = true
			}
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(backoff*2, maxB)
			continue
		}
		if down {
			log.Info("display port back; state re-sent")
			down = false
		}
		backoff = minB
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-refreshC:
			b.resendAll()
		case <-check.C:
			if r, ok := conn.(interface{ Replaced() bool }); ok && r.Replaced() {
				log.Warn("display port device gone; reopening")
				down = true
				conn.Close()
				conn = nil
			}
		}
	}
}

// writer writes frames with the profile's pause after each one.
type writer struct {
	timeout time.Duration
	last    time.Time     // end of the last write
	gap     time.Duration // pause owed after it
}

// flush writes every display's pending state.
func (w *writer) flush(ctx context.Context, b *Bus, conn Conn) error {
	for {
		d, frame, v := b.next()
		if d == nil {
			return nil
		}
		if !sleep(ctx, time.Until(w.last.Add(w.gap))) {
			return ctx.Err()
		}
		if dl, ok := conn.(interface{ SetDeadline(time.Time) error }); ok {
			if err := dl.SetDeadline(time.Now().Add(w.timeout)); err != nil {
				return err
			}
		}
		_, err := conn.Write(frame)
		w.last, w.gap = time.Now(), time.Duration(d.profile.GapMS)*time.Millisecond
		if err != nil {
			return fmt.Errorf("display %d: %w", d.address, err)
		}
		b.markSent(d, v)
	}
}

// sleep waits for d or until ctx is done; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
