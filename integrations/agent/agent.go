package agent

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talon-queue/talon/integrations/leddisplay"
)

// Reconnect backoff: doubled after each failed attempt, with jitter so that
// the agents of an office do not all knock at once after a server restart.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 15 * time.Second
)

// Run drives the configured displays from the office's event stream until
// ctx is done, reconnecting with backoff whenever the connection breaks. It
// returns an error only for a configuration it cannot run (unknown profile,
// address out of range, two speeds on one port…), and nil when ctx is
// cancelled. The server being down, a bad token or an unplugged display are
// logged and retried, not returned.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	log := logger.With("component", "agent", "office", cfg.Office)
	lines, windows, err := cfg.build(log)
	if err != nil {
		return err
	}
	endpoint, _ := cfg.endpoint() // checked by build
	blinkFor := cfg.BlinkFor
	if blinkFor == 0 {
		blinkFor = DefaultBlinkFor
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range lines {
		wg.Go(func() { _ = l.bus.Run(ctx) })
	}
	a := &agent{
		log:      log,
		endpoint: endpoint,
		token:    cfg.Token,
		blinkFor: blinkFor,
		windows:  map[int]*window{},
		steady:   make(chan steadyAt),
	}
	for n, ds := range windows {
		a.windows[n] = &window{number: n, displays: ds}
	}
	a.loop(ctx)
	cancel()
	wg.Wait()
	return nil
}

// agent is the state of one Run. Only the Run goroutine touches it.
type agent struct {
	log      *slog.Logger
	endpoint string
	token    string
	blinkFor time.Duration

	seq     uint64 // last event applied (or the snapshot's Seq)
	windows map[int]*window
	steady  chan steadyAt // blink timers firing
}

// loop connects, serves the connection until it breaks, and connects again.
func (a *agent) loop(ctx context.Context) {
	backoff := minBackoff
	failing := false // log the first failure of a run of them, and the recovery
	for ctx.Err() == nil {
		conn, err := connect(ctx, a.endpoint, a.token, a.seq)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				a.log.Warn("server unreachable; retrying", "err", err)
				failing = true
			} else {
				a.log.Debug("server still unreachable", "err", err, "backoff", backoff)
			}
			a.wait(ctx, jitter(backoff))
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		a.log.Info("connected", "since", a.seq)
		failing = false
		got, err := a.serve(ctx, conn)
		if ctx.Err() != nil {
			return
		}
		if got {
			backoff = minBackoff
		}
		if websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
			a.log.Error("server refused the agent; check its token", "err", err)
		} else {
			a.log.Warn("connection lost; reconnecting", "err", err, "since", a.seq)
		}
		a.wait(ctx, jitter(backoff))
		backoff = min(backoff*2, maxBackoff)
	}
}

func jitter(d time.Duration) time.Duration {
	return d + rand.N(d/4+1)
}

// wait sleeps for d while still turning blinking numbers steady.
func (a *agent) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case s := <-a.steady:
			a.makeSteady(s)
		}
	}
}

// serve applies the messages of one connection until it ends; it reports
// whether any message arrived, and why the connection ended.
func (a *agent) serve(ctx context.Context, conn *websocket.Conn) (bool, error) {
	msgs := make(chan message)
	done := make(chan struct{})
	readErr := make(chan error, 1)
	var wg sync.WaitGroup
	defer func() {
		close(done)
		conn.Close()
		wg.Wait()
	}()
	extend := func() { _ = conn.SetReadDeadline(time.Now().Add(readTimeout)) }
	conn.SetPongHandler(func(string) error { extend(); return nil })
	conn.SetPingHandler(func(data string) error {
		extend()
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	wg.Go(func() { // the only reader
		for {
			extend()
			_, data, err := conn.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			m, err := decode(data)
			if err != nil {
				a.log.Warn("message skipped", "err", err)
				continue
			}
			select {
			case msgs <- m:
			case <-done:
				return
			}
		}
	})
	wg.Go(func() { // pings keep the read deadline honest when the server is quiet
		t := time.NewTicker(pingEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
					return
				}
			}
		}
	})
	got := false
	for {
		select {
		case <-ctx.Done():
			_ = conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseGoingAway, "agent stopping"), time.Now().Add(time.Second))
			return got, ctx.Err()
		case err := <-readErr:
			return got, err
		case m := <-msgs:
			got = true
			a.apply(ctx, m)
		case s := <-a.steady:
			a.makeSteady(s)
		}
	}
}

// set makes every display of w do e with text.
func (a *agent) set(w *window, e leddisplay.Effect, text string) {
	for _, d := range w.displays {
		if err := d.Set(e, text); err != nil {
			a.log.Warn("display cannot show it", "window", w.number, "address", d.Address(), "text", text, "err", err)
		}
	}
}

// timer turns w steady after blinkFor, unless w has moved on by then.
func (a *agent) timer(ctx context.Context, w *window) {
	s := steadyAt{window: w.number, gen: w.gen}
	time.AfterFunc(a.blinkFor, func() {
		select {
		case a.steady <- s:
		case <-ctx.Done():
		}
	})
}

func (a *agent) makeSteady(s steadyAt) {
	w := a.windows[s.window]
	if w == nil || w.gen != s.gen || !w.blinking {
		return
	}
	w.blinking = false
	a.set(w, leddisplay.Show, w.text)
}
