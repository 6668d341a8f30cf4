package agent_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/talon-queue/talon/integrations/agent"
	"github.com/talon-queue/talon/integrations/leddisplay"
	"github.com/talon-queue/talon/integrations/serialport/serialtest"
	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
	"github.com/talon-queue/talon/queue/queuetest"
	"github.com/talon-queue/talon/web"
)

// realServer is the real web server over a real bbolt file with the test
// office of queuetest and an agent device; it restarts on the same address
// while the engine (and its event log) stays.
type realServer struct {
	tb    testing.TB
	env   *queuetest.Env
	addr  string
	srv   *web.Server
	Token string // the agent's device token
}

func mustRealServer(tb testing.TB) *realServer {
	tb.Helper()
	env := queuetest.MustOpen(tb, bolt.Options{})
	env.MustSetup()
	tok, err := env.Q.CreateClient(context.Background(), queuetest.Admin(),
		queue.Client{ID: "agent-1", Name: "Агент табло над окнами", Kind: queue.ClientAgent, Office: "test", Active: true})
	if err != nil {
		tb.Fatal(err)
	}
	s := &realServer{tb: tb, env: env, Token: tok.Token}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.start(ln)
	tb.Cleanup(s.Stop)
	return s
}

func (s *realServer) URL() string { return "http://" + s.addr }

func (s *realServer) start(ln net.Listener) {
	s.tb.Helper()
	srv, err := web.New(web.Config{Queue: s.env.Q, Version: "test", Now: s.env.Clock.Now,
		Logger: slog.New(slog.NewTextHandler(s.tb.Output(), nil)).With("component", "web")})
	if err != nil {
		s.tb.Fatal(err)
	}
	s.srv = srv
	go srv.Serve(ln)
}

// Stop shuts the web server down (its feeds close with 1001); the engine stays.
func (s *realServer) Stop() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.tb.Errorf("shutdown: %v", err)
	}
	s.srv = nil
}

// Restart starts a new web server on the same address.
func (s *realServer) Restart() {
	s.tb.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.tb.Fatal(err)
	}
	s.start(ln)
}

var (
	kioskMeta = queuetest.Kiosk("test")
	op1       = queuetest.As("op1", queue.RoleOperator, "test")
	op2       = queuetest.As("op2", queue.RoleOperator, "test")
)

// mustCall issues a passport ticket and calls it to window n as op.
func (s *realServer) mustCall(tb testing.TB, op queue.Meta, n int) queue.Ticket {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.env.Q.Issue(ctx, kioskMeta, "test", queue.IssueRequest{Service: "passport"}); err != nil {
		tb.Fatal(err)
	}
	c, err := s.env.Q.CallNext(ctx, op, "test", n, queue.CallNextRequest{})
	if err != nil {
		tb.Fatal(err)
	}
	return c.Ticket.Ticket
}

func (s *realServer) mustStart(tb testing.TB, op queue.Meta, t queue.Ticket) {
	tb.Helper()
	if _, err := s.env.Q.Start(context.Background(), op, t.ID); err != nil {
		tb.Fatal(err)
	}
}

func (s *realServer) mustFinish(tb testing.TB, op queue.Meta, t queue.Ticket) {
	tb.Helper()
	if _, err := s.env.Q.Finish(context.Background(), op, t.ID, queue.FinishRequest{Result: "accepted"}); err != nil {
		tb.Fatal(err)
	}
}

// The agent against the real server: the snapshot, live calls, and the
// replay after a restart, where a call blinks only while the server still
// announces it.
func TestAgentFollowsRealServer(t *testing.T) {
	const sign, chain = "alpha-betabrite", "qsystem-rs485"
	srv := mustRealServer(t)
	// Window 2 is serving before the agent starts.
	served := srv.mustCall(t, op2, 2)
	srv.mustStart(t, op2, served)

	p1, p2 := serialtest.MustPair(t, "", ""), serialtest.MustPair(t, "", "")
	dev1, dev2 := serialtest.MustOpen(t, p1.Far), serialtest.MustOpen(t, p2.Far)
	logs := MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: srv.Token, Office: "test",
		BlinkFor: time.Hour, // a call blinks until the visitor is at the window, so nothing hides a blink
		Displays: []agent.DisplayConfig{
			{Window: 1, Port: p1.Near, Profile: sign, Address: 1},
			{Window: 2, Port: p2.Near, Profile: chain, Address: 2},
		},
	})
	logs.Expect(t, "in sync", "from", "snapshot")
	dev1.Expect(t, frame(t, sign, 1, leddisplay.Clear, ""))
	steady2 := frame(t, chain, 2, leddisplay.Show, served.Number)
	dev2.Expect(t, steady2)

	// Live: the call blinks, the start makes it steady, the finish blanks it.
	t1 := srv.mustCall(t, op1, 1)
	dev1.Expect(t, frame(t, sign, 1, leddisplay.Blink, t1.Number))
	srv.mustStart(t, op1, t1)
	dev1.Expect(t, frame(t, sign, 1, leddisplay.Show, t1.Number))
	srv.mustFinish(t, op1, t1)
	dev1.Expect(t, frame(t, sign, 1, leddisplay.Clear, ""))

	// A call while the server is down comes back in the replay, and blinks.
	srv.Stop()
	logs.Expect(t, "connection lost; reconnecting")
	t2 := srv.mustCall(t, op1, 1)
	srv.Restart()
	logs.Expect(t, "in sync", "from", "view") // since was accepted: a replay, not a snapshot
	dev1.Expect(t, frame(t, sign, 1, leddisplay.Blink, t2.Number))
	srv.mustStart(t, op1, t2)
	dev1.Expect(t, frame(t, sign, 1, leddisplay.Show, t2.Number))

	// A call missed long ago (the server no longer announces it) shows steady.
	srv.Stop()
	logs.Expect(t, "connection lost; reconnecting")
	srv.mustFinish(t, op1, t2)
	t3 := srv.mustCall(t, op1, 1)
	srv.env.Clock.Add(5 * time.Minute)
	srv.Restart()
	logs.Expect(t, "in sync", "from", "view")
	if skipped := dev1.Expect(t, frame(t, sign, 1, leddisplay.Show, t3.Number)); bytes.Contains(skipped, frame(t, sign, 1, leddisplay.Blink, t3.Number)) {
		t.Errorf("a call replayed 5 minutes late blinked")
	}
	if rest := bytes.ReplaceAll(dev2.Received(), steady2, nil); len(rest) != 0 {
		t.Errorf("window 2 got more than its steady number: % x", rest)
	}
}

// The real server refuses a wrong token with an error and close 4401; the
// agent says so and keeps trying, slowly, showing nothing.
func TestAgentRefusedByRealServer(t *testing.T) {
	srv := mustRealServer(t)
	p := serialtest.MustPair(t, "", "")
	dev := serialtest.MustOpen(t, p.Far)
	logs := MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: "tln_wrong", Office: "test",
		Displays: []agent.DisplayConfig{{Window: 1, Port: p.Near, Profile: "qsystem-rs485", Address: 1}},
	})
	logs.Expect(t, "server refused the agent; check its token and office", "status", "401", "code", "auth_required")
	if got := dev.Received(); len(got) != 0 {
		t.Errorf("display got % x without a snapshot", got)
	}
	if logs.Has("tln_wrong") {
		t.Error("the token is in the log")
	}
}

// logRecorder keeps the agent's log records for tests to wait on, and
// writes them to the test's output.
type logRecorder struct {
	slog.Handler // text to the test's output
	*records
	attrs []slog.Attr // of the logger (With), recorded with each record
}

type records struct {
	mu   sync.Mutex
	recs []map[string]string
	seen int // records before this one are passed by Expect
	text bytes.Buffer
	more chan struct{}
}

func newLogRecorder(tb testing.TB) *logRecorder {
	return &logRecorder{
		Handler: slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}),
		records: &records{more: make(chan struct{}, 1)},
	}
}

func (l *logRecorder) Handle(ctx context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message}
	for _, a := range l.attrs {
		m[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	l.mu.Lock()
	l.recs = append(l.recs, m)
	slog.NewTextHandler(&l.text, nil).Handle(ctx, r)
	l.mu.Unlock()
	select {
	case l.more <- struct{}{}:
	default:
	}
	return l.Handler.Handle(ctx, r)
}

func (l *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &logRecorder{Handler: l.Handler.WithAttrs(as), records: l.records, attrs: append(slices.Clip(l.attrs), as...)}
}

func (l *logRecorder) WithGroup(name string) slog.Handler {
	return &logRecorder{Handler: l.Handler.WithGroup(name), records: l.records, attrs: l.attrs}
}

// Expect waits up to 20 s for a record with msg and the given attributes
// (key, value pairs) after the last one Expect matched.
func (r *records) Expect(tb testing.TB, msg string, kv ...string) {
	tb.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		i := slices.IndexFunc(r.recs[r.seen:], func(m map[string]string) bool {
			if m["msg"] != msg {
				return false
			}
			for j := 0; j+1 < len(kv); j += 2 {
				if m[kv[j]] != kv[j+1] {
					return false
				}
			}
			return true
		})
		if i >= 0 {
			r.seen += i + 1
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		select {
		case <-r.more:
		case <-deadline:
			tb.Fatalf("the agent never logged %q %q", msg, kv)
		}
	}
}

// Has reports whether s is anywhere in the log.
func (r *records) Has(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Contains(r.text.Bytes(), []byte(s))
}
