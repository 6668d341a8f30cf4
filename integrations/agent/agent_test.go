package agent_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	profiles "github.com/talon-queue/talon/firmware-profiles"
	"github.com/talon-queue/talon/integrations/agent"
	"github.com/talon-queue/talon/integrations/leddisplay"
	"github.com/talon-queue/talon/integrations/serialport/serialtest"
	"github.com/talon-queue/talon/queue"
)

// hello is the agent's first message as the fake server reads it.
type hello struct {
	Token  string   `json:"token"`
	Since  uint64   `json:"since"`
	Prints []string `json:"prints"`
}

// fakeServer speaks the office feed of web/ws.go in small: hello in, then a
// snapshot (since 0, or since ahead of the log) or the missed events marked
// replay and a view, then live events; a wrong token gets an error message
// and close 4401. It can be stopped and started again on the same address,
// as a server restart, and can lose its log, which a real server cannot;
// realserver_test.go runs the agent against the real one.
type fakeServer struct {
	tb     testing.TB
	office string
	token  string
	addr   string
	hellos chan hello
	got    chan []byte // the agent's messages after its hello

	mu      sync.Mutex
	log     []*queue.Event
	windows map[int]*queue.WindowState
	numbers map[string]string // ticket id → number
	subs    map[*websocket.Conn]chan []byte
	srv     *httptest.Server
	wg      sync.WaitGroup
}

func MustServer(tb testing.TB, office, token string) *fakeServer {
	tb.Helper()
	s := &fakeServer{tb: tb, office: office, token: token, hellos: make(chan hello, 10), got: make(chan []byte, 100),
		windows: map[int]*queue.WindowState{}, numbers: map[string]string{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.start(l)
	tb.Cleanup(s.Stop)
	return s
}

func (s *fakeServer) URL() string { return "http://" + s.addr }

func (s *fakeServer) start(l net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws/offices/{office}", s.serve)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	s.mu.Lock()
	s.srv, s.subs = srv, map[*websocket.Conn]chan []byte{}
	s.mu.Unlock()
}

// Stop closes every connection and the listener.
func (s *fakeServer) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	for c, ch := range s.subs {
		close(ch)
		c.Close()
	}
	s.subs = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	s.wg.Wait()
}

// Restart starts the server again on the same address.
func (s *fakeServer) Restart() {
	s.tb.Helper()
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.tb.Fatal(err)
	}
	s.start(l)
}

var upgrader = websocket.Upgrader{}

func (s *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("office") != s.office {
		http.NotFound(w, r)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	defer conn.Close()
	var h hello
	if err := conn.ReadJSON(&h); err != nil {
		return
	}
	s.hellos <- h
	if h.Token != s.token {
		_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"error","error":{"code":"auth_required","message":"Нужно войти"}}`))
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4401, "auth_required"))
		return
	}
	ch := make(chan []byte, 100)
	s.mu.Lock()
	if s.subs == nil { // stopping
		s.mu.Unlock()
		return
	}
	if h.Since == 0 || h.Since > uint64(len(s.log)) {
		ch <- s.snapshot("snapshot")
	} else {
		for _, e := range s.log[h.Since:] {
			ch <- eventMessage(e, true)
		}
		ch <- s.snapshot("view")
	}
	s.subs[conn] = ch
	s.mu.Unlock()
	go func() { // the agent's messages, pings and close are read here
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			select {
			case s.got <- b:
			default:
			}
		}
	}()
	for msg := range ch {
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			return
		}
	}
}

// snapshot is the snapshot (or view) message of the current state, its view
// shaped like board.View; s.mu is held.
func (s *fakeServer) snapshot(typ string) []byte {
	type call struct {
		Ticket string `json:"ticket"`
		Number string `json:"number"`
		Window int    `json:"window"`
	}
	type window struct {
		Number int                `json:"number"`
		Status queue.WindowStatus `json:"status"`
		Ticket string             `json:"ticket,omitempty"` // the number, as board.View has it
	}
	view := struct {
		Seq     int      `json:"seq"`
		Calls   []call   `json:"calls"`
		Windows []window `json:"windows"`
	}{Seq: len(s.log), Calls: []call{}, Windows: []window{}}
	for n, w := range s.windows {
		view.Windows = append(view.Windows, window{Number: n, Status: w.Status, Ticket: s.numbers[w.Ticket]})
		if w.Ticket != "" {
			view.Calls = append(view.Calls, call{Ticket: w.Ticket, Number: s.numbers[w.Ticket], Window: n})
		}
	}
	b, err := json.Marshal(map[string]any{"type": typ, "seq": len(s.log), "view": view})
	if err != nil {
		panic(err)
	}
	return b
}

// eventMessage is the event message of e; calls less than two minutes old
// are announced, as the real server does.
func eventMessage(e *queue.Event, replay bool) []byte {
	m := map[string]any{"type": "event", "seq": e.Seq, "event": e, "replay": replay}
	if (e.Type == queue.EventTicketCalled || e.Type == queue.EventTicketRecalled) && time.Since(e.At) < 2*time.Minute {
		m["announce"] = map[string]any{"ticket": e.Ticket.ID, "number": e.Ticket.Number, "window": e.Ticket.Window}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// Publish numbers e, logs it, applies it to the windows and sends it to
// the connected agents (if the server is up).
func (s *fakeServer) Publish(e *queue.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Seq, e.Office = uint64(len(s.log)+1), s.office
	s.log = append(s.log, e)
	if t := e.Ticket; t != nil {
		s.numbers[t.ID] = t.Number
		for _, w := range s.windows {
			if w.Ticket == t.ID {
				w.Ticket = ""
			}
		}
		if t.Status == queue.StatusCalled || t.Status == queue.StatusServing {
			s.window(t.Window).Ticket = t.ID
		}
	}
	if e.Window != nil {
		s.windows[e.Window.Number] = e.Window
	}
	for _, ch := range s.subs {
		ch <- eventMessage(e, false)
		ch <- s.snapshot("view")
	}
}

// Send sends a raw message to the connected agents.
func (s *fakeServer) Send(msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.subs {
		ch <- msg
	}
}

// Next returns the agent's next message.
func (s *fakeServer) Next(tb testing.TB) []byte {
	tb.Helper()
	select {
	case b := <-s.got:
		return b
	case <-time.After(10 * time.Second):
		tb.Fatal("the agent sent nothing")
		return nil
	}
}

func (s *fakeServer) window(n int) *queue.WindowState {
	if s.windows[n] == nil {
		s.windows[n] = &queue.WindowState{Office: s.office, Number: n, Status: queue.WindowOpen}
	}
	return s.windows[n]
}

// ExpectHello waits for the agent's hello with the right token and since,
// and returns it.
func (s *fakeServer) ExpectHello(tb testing.TB, since uint64) hello {
	tb.Helper()
	select {
	case h := <-s.hellos:
		if h.Token != s.token || h.Since != since {
			tb.Fatalf("hello = %+v, want token %q since %d", h, s.token, since)
		}
		return h
	case <-time.After(10 * time.Second):
		tb.Fatal("the agent never said hello")
		return hello{}
	}
}

func ticketEvent(typ queue.EventType, id, number string, window int, st queue.Status) *queue.Event {
	return &queue.Event{Type: typ, At: time.Now(), Ticket: &queue.Ticket{ID: id, Number: number, Window: window, Status: st}}
}

// MustRunAgent runs the agent until the test ends and returns its log.
func MustRunAgent(tb testing.TB, cfg agent.Config) *logRecorder {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := newLogRecorder(tb)
	go func() { done <- agent.Run(ctx, cfg, slog.New(logs)) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			tb.Error("Run did not return after cancel")
		}
	})
	return logs
}

func frame(tb testing.TB, profile string, addr int, e leddisplay.Effect, text string) []byte {
	tb.Helper()
	p, err := profiles.DisplayByID(profile)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := leddisplay.Encode(p, addr, e, text)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// A called ticket shows on its window's display, blinking then steady, and
// goes when the visit ends; two windows share one RS-485 line.
func TestAgentShowsCalledTicket(t *testing.T) {
	srv := MustServer(t, "mfc-1", "secret")
	// Window 2 is already serving В007 when the agent starts.
	srv.Publish(ticketEvent(queue.EventTicketCalled, "t0", "В007", 2, queue.StatusCalled))
	srv.Publish(ticketEvent(queue.EventTicketStarted, "t0", "В007", 2, queue.StatusServing))

	chain := serialtest.MustPair(t, "", "")
	chainDev := serialtest.MustOpen(t, chain.Far)
	sign := serialtest.MustPair(t, "", "")
	signDev := serialtest.MustOpen(t, sign.Far)
	MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: "secret", Office: "mfc-1", BlinkFor: 100 * time.Millisecond,
		Displays: []agent.DisplayConfig{
			{Window: 1, Port: chain.Near, Profile: "qsystem-rs485", Address: 1},
			{Window: 2, Port: chain.Near, Profile: "qsystem-rs485", Address: 2},
			{Window: 3, Port: sign.Near, Baud: 19200, Profile: "alpha-betabrite", Address: 3},
		},
	})
	if h := srv.ExpectHello(t, 0); h.Prints != nil {
		t.Errorf("a display-only agent says it prints for %q", h.Prints)
	}
	// The snapshot: window 1 blank, window 2 steady В007 (not a new call), window 3 blank.
	chainDev.Expect(t, frame(t, "qsystem-rs485", 1, leddisplay.Clear, ""))
	chainDev.Expect(t, frame(t, "qsystem-rs485", 2, leddisplay.Show, "В007"))
	signDev.Expect(t, frame(t, "alpha-betabrite", 3, leddisplay.Clear, ""))

	srv.Publish(ticketEvent(queue.EventTicketCalled, "t1", "А001", 3, queue.StatusCalled))
	if skipped := signDev.Expect(t, frame(t, "alpha-betabrite", 3, leddisplay.Blink, "А001")); len(skipped) != 0 {
		t.Errorf("before the blink: % x", skipped)
	}
	signDev.Expect(t, frame(t, "alpha-betabrite", 3, leddisplay.Show, "А001"))

	srv.Publish(ticketEvent(queue.EventTicketCalled, "t2", "Б002", 1, queue.StatusCalled))
	chainDev.Expect(t, frame(t, "qsystem-rs485", 1, leddisplay.Blink, "Б002"))
	srv.Publish(ticketEvent(queue.EventTicketCalled, "t9", "Д009", 9, queue.StatusCalled)) // no display at window 9
	srv.Publish(ticketEvent(queue.EventTicketStarted, "t1", "А001", 3, queue.StatusServing))
	srv.Publish(ticketEvent(queue.EventTicketFinished, "t1", "А001", 3, queue.StatusWaiting))
	signDev.Expect(t, frame(t, "alpha-betabrite", 3, leddisplay.Clear, ""))

	// A recall blinks again.
	srv.Publish(ticketEvent(queue.EventTicketRecalled, "t2", "Б002", 1, queue.StatusCalled))
	srv.Publish(ticketEvent(queue.EventTicketNoShow, "t2", "Б002", 1, queue.StatusNoShow))
	chainDev.Expect(t, frame(t, "qsystem-rs485", 1, leddisplay.Clear, ""))

	srv.Publish(&queue.Event{Type: queue.EventWindowClosed, Window: &queue.WindowState{Number: 2, Status: queue.WindowClosed}})
	chainDev.Expect(t, frame(t, "qsystem-rs485", 2, leddisplay.Clear, ""))
	if got := signDev.Received(); len(got) == 0 {
		t.Error("sign got nothing")
	}
}

// The server restarts: the agent reconnects with the Seq it has, catches up
// on what it missed, and goes on with live events.
func TestAgentReconnectsAfterServerRestart(t *testing.T) {
	const p = "alpha-betabrite"
	srv := MustServer(t, "mfc-1", "secret")
	pair := serialtest.MustPair(t, "", "")
	dev := serialtest.MustOpen(t, pair.Far)
	MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: "secret", Office: "mfc-1", BlinkFor: 50 * time.Millisecond,
		Displays: []agent.DisplayConfig{{Window: 1, Port: pair.Near, Profile: p, Address: 1}},
	})
	srv.ExpectHello(t, 0)
	dev.Expect(t, frame(t, p, 1, leddisplay.Clear, ""))
	srv.Publish(ticketEvent(queue.EventTicketCalled, "t1", "А001", 1, queue.StatusCalled))
	dev.Expect(t, frame(t, p, 1, leddisplay.Blink, "А001"))
	dev.Expect(t, frame(t, p, 1, leddisplay.Show, "А001"))
	srv.Publish(ticketEvent(queue.EventTicketFinished, "t1", "А001", 1, queue.StatusDone))
	dev.Expect(t, frame(t, p, 1, leddisplay.Clear, ""))

	srv.Stop()
	srv.Publish(ticketEvent(queue.EventTicketCalled, "t2", "Б002", 1, queue.StatusCalled)) // while it is down
	srv.Restart()
	srv.ExpectHello(t, 2)
	dev.Expect(t, frame(t, p, 1, leddisplay.Blink, "Б002"))
	dev.Expect(t, frame(t, p, 1, leddisplay.Show, "Б002"))
	srv.Publish(ticketEvent(queue.EventTicketCancelled, "t2", "Б002", 1, queue.StatusCancelled))
	dev.Expect(t, frame(t, p, 1, leddisplay.Clear, ""))

	// A server that lost its log answers with a snapshot; the agent follows it.
	srv.Stop()
	srv.mu.Lock()
	srv.log = nil
	srv.window(1).Ticket, srv.numbers["t7"] = "t7", "Г007"
	srv.mu.Unlock()
	srv.Restart()
	srv.ExpectHello(t, 4)
	dev.Expect(t, frame(t, p, 1, leddisplay.Show, "Г007"))
}

// A wrong token is refused; the agent keeps trying (the token may be fixed
// on the server) and never shows anything.
func TestAgentBadToken(t *testing.T) {
	srv := MustServer(t, "mfc-1", "secret")
	pair := serialtest.MustPair(t, "", "")
	dev := serialtest.MustOpen(t, pair.Far)
	MustRunAgent(t, agent.Config{
		Server: srv.URL(), Token: "wrong", Office: "mfc-1",
		Displays: []agent.DisplayConfig{{Window: 1, Port: pair.Near, Profile: "qsystem-rs485", Address: 1}},
	})
	for range 2 {
		select {
		case h := <-srv.hellos:
			if h.Token != "wrong" {
				t.Fatalf("hello = %+v", h)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the agent did not try again")
		}
	}
	if got := dev.Received(); len(got) != 0 {
		t.Errorf("display got % x without a snapshot", got)
	}
}

func TestRunRejectsConfig(t *testing.T) {
	ok := agent.Config{Server: "http://127.0.0.1:1", Token: "x", Office: "mfc-1",
		Displays: []agent.DisplayConfig{{Window: 1, Port: "/dev/null", Profile: "qsystem-rs485", Address: 1}}}
	for name, change := range map[string]func(c *agent.Config){
		"no server":    func(c *agent.Config) { c.Server = "" },
		"bad scheme":   func(c *agent.Config) { c.Server = "ftp://host" },
		"no token":     func(c *agent.Config) { c.Token = "" },
		"office slash": func(c *agent.Config) { c.Office = "a/b" },
		"no displays":  func(c *agent.Config) { c.Displays = nil },
		"printer kiosk": func(c *agent.Config) {
			c.Printers = []agent.PrinterConfig{{Port: "/dev/ttyS1", Profile: "generic-escpos-80"}}
		},
		"printer profile": func(c *agent.Config) {
			c.Printers = []agent.PrinterConfig{{Kiosk: "k", Port: "/dev/ttyS1", Profile: "nope"}}
		},
		"printer port": func(c *agent.Config) { c.Printers = []agent.PrinterConfig{{Kiosk: "k", Profile: "generic-escpos-80"}} },
		"printer on a display line": func(c *agent.Config) {
			c.Printers = []agent.PrinterConfig{{Kiosk: "k", Port: "/dev/null", Profile: "generic-escpos-80"}}
		},
		"two printers on a port": func(c *agent.Config) {
			c.Printers = []agent.PrinterConfig{{Kiosk: "k1", Port: "/dev/ttyS1", Profile: "generic-escpos-80"},
				{Kiosk: "k2", Port: "/dev/ttyS1", Profile: "generic-escpos-80"}}
		},
		"two printers for a kiosk": func(c *agent.Config) {
			c.Printers = []agent.PrinterConfig{{Kiosk: "k", Port: "/dev/ttyS1", Profile: "generic-escpos-80"},
				{Kiosk: "k", Port: "/dev/ttyS2", Profile: "generic-escpos-80"}}
		},
		"unknown profile": func(c *agent.Config) { c.Displays[0].Profile = "nope" },
		"address":         func(c *agent.Config) { c.Displays[0].Address = 0 },
		"window":          func(c *agent.Config) { c.Displays[0].Window = 0 },
		"same address": func(c *agent.Config) {
			c.Displays = append(c.Displays, agent.DisplayConfig{Window: 2, Port: "/dev/null", Profile: "qsystem-rs485", Address: 1})
		},
		"two speeds": func(c *agent.Config) {
			c.Displays = append(c.Displays, agent.DisplayConfig{Window: 2, Port: "/dev/null", Baud: 19200, Profile: "qsystem-rs485", Address: 2})
		},
	} {
		c := ok
		c.Displays = append([]agent.DisplayConfig(nil), ok.Displays...)
		change(&c)
		err := agent.Run(context.Background(), c, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "agent: config") {
			t.Errorf("%s: Run = %v, want a config error", name, err)
		}
	}
}
