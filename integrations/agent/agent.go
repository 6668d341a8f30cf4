package agent

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talon-queue/talon/integrations/leddisplay"
	"github.com/talon-queue/talon/kiosk"
)

// Reconnect backoff: doubled after each failed attempt, with jitter so that
// the agents of an office do not all knock at once after a server restart.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 15 * time.Second
)

// resultBuffer is how many print results may wait for a connection's writer.
const resultBuffer = 16

// Run drives the configured displays from the office's event stream and
// prints the tickets the server sends for the configured kiosks' printers
// until ctx is done, reconnecting with backoff whenever the connection
// breaks. It returns an error only for a configuration it cannot run
// (unknown profile, address out of range, two speeds on one port…), and nil
// when ctx is cancelled. The server being down, a bad token or an unplugged
// display or printer are logged and retried, not returned.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	log := logger.With("component", "agent", "office", cfg.Office)
	set, err := cfg.build(log)
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
	for _, l := range set.lines {
		wg.Go(func() { _ = l.bus.Run(ctx) })
	}
	for _, p := range set.printers {
		wg.Go(func() { p.run(ctx) })
	}
	a := &agent{
		log:      log,
		endpoint: endpoint,
		token:    cfg.Token,
		blinkFor: blinkFor,
		windows:  map[int]*window{},
		printers: set.printers,
		steady:   make(chan steadyAt),
	}
	for n, ds := range set.windows {
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

	seq      uint64 // last event applied (or the snapshot's Seq)
	windows  map[int]*window
	printers map[string]*printer // kiosk id → its printer; their goroutines print
	steady   chan steadyAt       // blink timers firing
}

// loop connects, serves the connection until it breaks, and connects again.
func (a *agent) loop(ctx context.Context) {
	backoff := minBackoff
	failing := "" // the kind of the current run of failures: logged when it starts, and the recovery
	fail := func(kind, msg string, args ...any) {
		if kind != failing {
			lvl := slog.LevelWarn
			if kind == "refused" {
				lvl = slog.LevelError
			}
			a.log.Log(ctx, lvl, msg, args...)
			failing = kind
		} else {
			a.log.Debug(msg, append(args, "backoff", backoff)...)
		}
	}
	for ctx.Err() == nil {
		conn, err := connect(ctx, a.endpoint, hello{Token: a.token, Since: a.seq, Prints: slices.Sorted(maps.Keys(a.printers))})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			fail("unreachable", "server unreachable; retrying", "err", err)
			a.wait(ctx, jitter(backoff))
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		a.log.Debug("connected", "since", a.seq)
		synced, err := a.serve(ctx, conn, func(from string) {
			if failing != "" {
				a.log.Info("server back")
				failing = ""
			}
			a.log.Info("in sync", "from", from, "seq", a.seq)
		})
		if ctx.Err() != nil {
			return
		}
		var ref *refusal
		switch {
		case errors.As(err, &ref):
			// A wrong token or office: retried (it may be fixed on the
			// server), but slowly, and without resetting the backoff.
			fail("refused", "server refused the agent; check its token and office",
				"status", ref.Status, "code", ref.Code, "reason", ref.Message)
		case synced:
			backoff = minBackoff
			if websocket.IsCloseError(err, websocket.CloseTryAgainLater) {
				a.log.Info("server dropped the agent as slow; catching up", "since", a.seq)
			} else {
				a.log.Warn("connection lost; reconnecting", "err", err, "since", a.seq)
			}
		default:
			fail("lost", "connection lost before sync; reconnecting", "err", err, "since", a.seq)
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
// whether the agent got in sync (a snapshot, view or event arrived), and why
// the connection ended (a *refusal when the server turned the agent away).
// synced is called on the connection's first snapshot or view. Print jobs
// go to their printers' goroutines; their answers come back to this
// connection's writer.
func (a *agent) serve(ctx context.Context, conn *websocket.Conn, synced func(from string)) (bool, error) {
	msgs := make(chan message)
	done := make(chan struct{})
	readErr := make(chan error, 1)
	results := make(chan kiosk.PrintResult, resultBuffer)
	// answer hands a job's result to the writer; it never blocks, so the
	// loop below may answer too. false: the connection has gone.
	answer := func(res kiosk.PrintResult) bool {
		select {
		case <-done:
			return false
		default:
		}
		select {
		case results <- res:
			return true
		case <-done:
			return false
		default:
			a.log.Warn("print result dropped: too many waiting to be sent", "job", res.Job)
			return false
		}
	}
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
	wg.Go(func() { // the only writer of data frames (pings are control frames)
		for {
			select {
			case <-done:
				return
			case res := <-results:
				_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
				if err := conn.WriteJSON(printResult{Type: typePrintResult, PrintResult: res}); err != nil {
					a.log.Warn("print result not sent", "job", res.Job, "err", err)
					conn.Close() // the reader fails and the agent reconnects
					return
				}
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
	got, inSync := false, false
	for {
		select {
		case <-ctx.Done():
			_ = conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseGoingAway, "agent stopping"), time.Now().Add(time.Second))
			return got, ctx.Err()
		case err := <-readErr:
			if st, ok := refusedStatus(err); ok {
				var ce *websocket.CloseError
				errors.As(err, &ce)
				return got, &refusal{Code: ce.Text, Status: st}
			}
			return got, err
		case m := <-msgs:
			if m.kind == msgError {
				return got, a.refused(m.refusal, readErr)
			}
			if m.kind == msgPrint {
				a.print(m.job, answer)
				continue
			}
			a.apply(ctx, m)
			switch m.kind {
			case msgSnapshot, msgView:
				got = true
				if !inSync {
					inSync = true
					synced(m.kind)
				}
			case msgEvent:
				got = true
			}
		case s := <-a.steady:
			a.makeSteady(s)
		}
	}
}

// refused completes the server's refusal with the status of the close frame
// that follows it.
func (a *agent) refused(r *refusal, readErr <-chan error) *refusal {
	t := time.NewTimer(refusalWait)
	defer t.Stop()
	select {
	case err := <-readErr:
		r.Status, _ = refusedStatus(err)
	case <-t.C:
	}
	return r
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
