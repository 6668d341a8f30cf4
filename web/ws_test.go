package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talon-queue/talon/board"
	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/queuetest"
	"github.com/talon-queue/talon/web"
)

// feedConn is a test client of the realtime feed.
type feedConn struct {
	t   *testing.T
	c   *websocket.Conn
	raw [][]byte // every message received, as sent
}

// dialFeed opens the feed of office; hdr may carry a cookie or an origin.
func (s *server) dialFeed(office string, hdr http.Header, d *websocket.Dialer) *feedConn {
	s.t.Helper()
	if d == nil {
		d = websocket.DefaultDialer
	}
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws/offices/" + office
	c, res, err := d.Dial(u, hdr)
	if err != nil {
		s.t.Fatalf("dial %s: %v (%v)", u, err, res)
	}
	f := &feedConn{t: s.t, c: c}
	s.t.Cleanup(func() { c.Close() })
	return f
}

// openFeed dials and says hello with token and since.
func (s *server) openFeed(token string, since uint64) *feedConn {
	s.t.Helper()
	f := s.dialFeed("test", nil, nil)
	f.hello(token, since)
	return f
}

func (f *feedConn) hello(token string, since uint64) {
	f.t.Helper()
	if err := f.c.WriteJSON(web.FeedHello{Token: token, Since: since}); err != nil {
		f.t.Fatal(err)
	}
}

// next reads one message.
func (f *feedConn) next() web.FeedMessage {
	f.t.Helper()
	m, err := f.read()
	if err != nil {
		f.t.Fatalf("feed: %v", err)
	}
	return m
}

func (f *feedConn) read() (web.FeedMessage, error) {
	var m web.FeedMessage
	f.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := f.c.ReadMessage()
	if err != nil {
		return m, err
	}
	f.raw = append(f.raw, b)
	if err := json.Unmarshal(b, &m); err != nil {
		f.t.Fatalf("feed message %s: %v", b, err)
	}
	return m, nil
}

// eventsUntil reads until the event of Seq seq and returns the events read,
// checking that they follow one another without gaps after from.
func (f *feedConn) eventsUntil(from, seq uint64) []web.FeedMessage {
	f.t.Helper()
	var evs []web.FeedMessage
	last := from
	for last < seq {
		m := f.next()
		switch m.Type {
		case "event":
			if m.Seq != last+1 || m.Event == nil || m.Event.Seq != m.Seq {
				f.t.Fatalf("event %d after %d: %+v", m.Seq, last, m)
			}
			last = m.Seq
			evs = append(evs, m)
		case "view":
			if m.Seq != last || m.View == nil || m.View.Seq != m.Seq {
				f.t.Fatalf("view at %d after event %d", m.Seq, last)
			}
		default:
			f.t.Fatalf("unexpected %s message while following: %+v", m.Type, m)
		}
	}
	return evs
}

// refusal reads the error message and the close code of a refused feed.
func (f *feedConn) refusal() (string, int) {
	f.t.Helper()
	m, err := f.read()
	if err != nil {
		f.t.Fatalf("refused without a reason: %v", err)
	}
	if m.Type != "error" || m.Error == nil || m.Error.Message == "" {
		f.t.Fatalf("want an error message, got %+v", m)
	}
	_, err = f.read()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		f.t.Fatalf("want a close frame after the error, got %v", err)
	}
	return m.Error.Code, ce.Code
}

func (s *server) issue(service string) queue.TicketView {
	s.t.Helper()
	var v queue.TicketView
	if st := s.as(s.APIKey).do("POST", "/api/v1/offices/test/tickets",
		map[string]any{"service": service, "phone": "+79001234567", "case_id": "AIS-4242"}, &v); st != 201 {
		s.t.Fatalf("issue: %d", st)
	}
	return v
}

func (s *server) callNext(w int) queue.Call {
	s.t.Helper()
	var c queue.Call
	if st := s.as(s.APIKey).do("POST", fmt.Sprintf("/api/v1/offices/test/windows/%d/call-next", w),
		map[string]any{"operator": fmt.Sprintf("op%d", w)}, &c); st != 200 {
		s.t.Fatalf("call-next at %d: %d", w, st)
	}
	return c
}

func TestFeedSnapshotThenEventsInOrder(t *testing.T) {
	s := mustServer(t)
	f := s.openFeed(s.Board, 0)
	snap := f.next()
	if snap.Type != "snapshot" || snap.Seq != s.env.Q.Seq("test") || snap.View == nil || snap.View.Seq != snap.Seq ||
		snap.Now == nil || snap.Assets == "" {
		t.Fatalf("first message %+v, want a snapshot at %d", snap, s.env.Q.Seq("test"))
	}
	if len(snap.View.Windows) != 4 || snap.View.Name.RU != "МФЦ Тестовый" || snap.View.TimeZone != "Europe/Moscow" {
		t.Fatalf("snapshot view %+v", snap.View)
	}

	a, b := s.issue("passport"), s.issue("tax")
	call := s.callNext(1)
	var v queue.TicketView
	s.as(s.APIKey).do("POST", "/api/v1/tickets/"+call.Ticket.ID+"/recall", nil, &v)
	evs := f.eventsUntil(snap.Seq, s.env.Q.Seq("test"))

	var types []queue.EventType
	var announced []*web.Announcement
	for _, e := range evs {
		types = append(types, e.Event.Type)
		if e.Announce != nil {
			announced = append(announced, e.Announce)
		}
	}
	want := []queue.EventType{queue.EventTicketIssued, queue.EventTicketIssued, queue.EventWindowOpened,
		queue.EventTicketCalled, queue.EventTicketRecalled}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	if evs[0].Event.Ticket.Number != a.Number || evs[1].Event.Ticket.Number != b.Number {
		t.Errorf("issued %s %s", evs[0].Event.Ticket.Number, evs[1].Event.Ticket.Number)
	}
	if len(announced) != 2 || announced[0].Number != call.Ticket.Number || announced[0].Window != 1 || !announced[1].Recall {
		t.Fatalf("announcements %+v, want the call and the recall of %s at window 1", announced, call.Ticket.Number)
	}
	if got, want := announced[0].Clips["ru"], board.Announcement(call.Ticket.Number, 1, "ru"); !reflect.DeepEqual(got, want) {
		t.Errorf("ru clips %v, want %v", got, want)
	}
	if got, want := announced[0].Clips["en"], board.Announcement(call.Ticket.Number, 1, "en"); !reflect.DeepEqual(got, want) {
		t.Errorf("en clips %v, want %v", got, want)
	}
	if announced[0].Text["ru"] != board.AnnouncementText(call.Ticket.Number, 1, "ru") {
		t.Errorf("ru text %q", announced[0].Text["ru"])
	}

	// After the burst, a view with the call on top.
	m := f.next()
	if m.Type != "view" || m.Seq != s.env.Q.Seq("test") {
		t.Fatalf("after the events: %+v, want a view", m)
	}
	if len(m.View.Calls) != 1 || m.View.Calls[0].Number != call.Ticket.Number || m.View.Calls[0].Window != 1 || m.View.Waiting != 1 {
		t.Fatalf("view calls %+v waiting %d", m.View.Calls, m.View.Waiting)
	}

	// A window renamed: the board sees the change (without its content) in
	// the stream, and a view rebuilt with the new name.
	before := s.env.Q.Seq("test")
	if st := s.as(s.APIKey).do("PUT", "/api/v1/offices/test/windows/4", map[string]any{"name": map[string]string{"ru": "Выдача"},
		"services": []map[string]any{{"service": "results", "rank": 1}}}, nil); st != 200 {
		t.Fatalf("rename window: %d", st)
	}
	evs = f.eventsUntil(before, s.env.Q.Seq("test"))
	if len(evs) != 1 || evs[0].Event.Type != queue.EventConfigChanged || evs[0].Event.Config != nil {
		t.Fatalf("config change on the board feed: %+v", evs)
	}
	if m := f.next(); m.Type != "view" || m.View.Windows[3].Name.RU != "Выдача" || len(m.View.Calls) != 1 {
		t.Fatalf("after the rename: %+v", m)
	}
}

func TestFeedReconnectReplaysExactlyTheMissedEvents(t *testing.T) {
	s := mustServer(t)
	f := s.openFeed(s.Board, 0)
	snap := f.next()
	s.issue("passport")
	s.issue("passport")
	f.eventsUntil(snap.Seq, s.env.Q.Seq("test"))
	have := s.env.Q.Seq("test")
	f.c.Close()

	// Missed while away: two tickets, a call.
	s.issue("tax")
	s.issue("pension")
	call := s.callNext(2)
	now := s.env.Q.Seq("test")

	g := s.openFeed(s.Board, have)
	var replayed []uint64
	for {
		m := g.next()
		if m.Type == "snapshot" {
			t.Fatalf("got a snapshot, want a replay from %d", have)
		}
		if m.Type == "view" {
			if m.Seq != now || len(m.View.Calls) != 1 || m.View.Calls[0].Number != call.Ticket.Number || m.View.Waiting != 3 {
				t.Fatalf("view after the replay: seq %d calls %+v waiting %d", m.Seq, m.View.Calls, m.View.Waiting)
			}
			break
		}
		if !m.Replay {
			t.Errorf("event %d not marked as replayed", m.Seq)
		}
		if m.Event.Type == queue.EventTicketCalled && (m.Announce == nil || m.Announce.Number != call.Ticket.Number) {
			t.Errorf("replayed call without its announcement: %+v", m.Announce)
		}
		replayed = append(replayed, m.Seq)
	}
	var want []uint64
	for q := have + 1; q <= now; q++ {
		want = append(want, q)
	}
	if !reflect.DeepEqual(replayed, want) {
		t.Fatalf("replayed %v, want exactly %v", replayed, want)
	}

	// And it goes on live from there.
	s.issue("passport")
	if evs := g.eventsUntil(now, s.env.Q.Seq("test")); len(evs) != 1 || evs[0].Replay {
		t.Fatalf("live after replay: %+v", evs)
	}

	// A client that claims a Seq the office never reached starts afresh.
	h := s.openFeed(s.Board, 1<<40)
	if m := h.next(); m.Type != "snapshot" || m.Seq != s.env.Q.Seq("test") {
		t.Fatalf("since ahead of the office: %+v, want a snapshot", m)
	}
}

func TestFeedGivesDisplaysNoPersonalData(t *testing.T) {
	s := mustServer(t)
	boss := s.login("boss")
	boardFeed := s.openFeed(s.Board, 0)
	staffFeed := s.openFeed(boss.token, 0)
	start := boardFeed.next().Seq
	staffFeed.next()

	s.issue("passport")
	s.callNext(1)
	end := s.env.Q.Seq("test")
	boardFeed.eventsUntil(start, end)
	staff := staffFeed.eventsUntil(start, end)
	boardFeed.next() // the view

	all := string(joinRaw(boardFeed.raw))
	for _, secret := range []string{"79001234567", "AIS-4242", `"code"`, `"phone"`, `"case_id"`} {
		if strings.Contains(all, secret) {
			t.Errorf("the board feed carries %s", secret)
		}
	}
	// Staff with tickets:read see the ticket whole.
	if tk := staff[0].Event.Ticket; tk == nil || tk.Phone != "+79001234567" || tk.CaseID != "AIS-4242" {
		t.Errorf("staff feed ticket %+v, want phone and case id", tk)
	}
}

func joinRaw(bs [][]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(append(out, b...), '\n')
	}
	return out
}

func TestFeedDropsASlowClientAndKeepsTheOthers(t *testing.T) {
	s := mustServer(t)
	// The slow client reads nothing after its hello, through a small socket
	// buffer, so the server's writes back up quickly.
	small := &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	slow := s.dialFeed("test", nil, small)
	slow.hello(s.Board, 0)
	fast := s.openFeed(s.Board, 0)
	start := fast.next().Seq
	if n := s.displayOf("board-1").Connections; n != 2 {
		t.Fatalf("board-1 has %d connections, want 2", n)
	}

	// Many events, while the fast client keeps reading them all.
	const tickets = 800
	done := make(chan []web.FeedMessage)
	go func() { done <- fast.eventsUntil(start, start+tickets) }()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < tickets; i += 8 {
				if _, err := s.env.Q.Issue(context.Background(), queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "passport"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case evs := <-done:
		if len(evs) != tickets {
			t.Fatalf("fast client got %d events, want %d", len(evs), tickets)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the fast client did not get every event")
	}

	// The slow one was dropped: it finds the end of its connection when it
	// reads at last, and its device counts one connection less.
	deadline := time.Now().Add(10 * time.Second)
	for s.displayOf("board-1").Connections != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("slow client still connected: %+v", s.displayOf("board-1"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// It reconnects and catches up from the log.
	slow.c.Close()
	again := s.openFeed(s.Board, start)
	if evs := again.eventsUntil(start, start+tickets); !evs[0].Replay {
		t.Fatal("reconnected slow client: events not replayed")
	}
}

// displayOf returns a device's entry in the displays a manager sees.
func (s *server) displayOf(device string) web.Display {
	s.t.Helper()
	var ds []web.Display
	if st := s.login("boss").do("GET", "/api/v1/offices/test/displays", nil, &ds); st != 200 {
		s.t.Fatalf("displays: %d", st)
	}
	for _, d := range ds {
		if d.Device == device {
			return d
		}
	}
	return web.Display{}
}

func TestFeedRefusesWhoMayNotFollow(t *testing.T) {
	s := mustServer(t)
	cases := []struct {
		name   string
		office string
		token  string
		code   string
		close  int
	}{
		{"no token", "test", "", queue.CodeAuthRequired, 4401},
		{"unknown token", "test", "tln_nothing", queue.CodeAuthRequired, 4401},
		{"board of another office", "other", s.Board, queue.CodeOfficeForbidden, 4403},
		{"unknown office", "nowhere", s.APIKey, queue.CodeOfficeNotFound, 4404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := s.dialFeed(c.office, nil, nil)
			f.hello(c.token, 0)
			code, closeCode := f.refusal()
			if code != c.code || closeCode != c.close {
				t.Errorf("refused with %s/%d, want %s/%d", code, closeCode, c.code, c.close)
			}
		})
	}

	// A hello that is not JSON.
	f := s.dialFeed("test", nil, nil)
	f.c.WriteMessage(websocket.TextMessage, []byte("hello"))
	if code, closeCode := f.refusal(); code != queue.CodeInvalidRequest || closeCode != 4400 {
		t.Errorf("bad hello: %s/%d", code, closeCode)
	}

	// A session cookie works from this server's pages, not from another site.
	jar := s.cookieClient("boss").http.Jar
	u, _ := url.Parse(s.URL)
	var cookies []string
	for _, c := range jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	hdr := http.Header{"Cookie": {strings.Join(cookies, "; ")}, "Origin": {s.URL}}
	own := s.dialFeed("test", hdr, nil)
	own.hello("", 0)
	if m := own.next(); m.Type != "snapshot" {
		t.Fatalf("same-origin cookie: %+v", m)
	}
	hdr.Set("Origin", "http://evil.example")
	evil := s.dialFeed("test", hdr, nil)
	evil.hello("", 0)
	if code, closeCode := evil.refusal(); code != "csrf_failed" || closeCode != 4403 {
		t.Errorf("cross-site cookie: %s/%d, want csrf_failed/4403", code, closeCode)
	}

	// A plain GET is not a websocket.
	if res, err := http.Get(s.URL + "/ws/offices/test"); err != nil || res.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("plain GET: %v %v, want 426", res, err)
	} else {
		res.Body.Close()
	}

	// A device that is deactivated loses its feed at once.
	g := s.openFeed(s.Board, 0)
	g.next()
	var ct queue.ClientToken
	if st := s.as(s.APIKey).do("PUT", "/api/v1/clients/board-1",
		map[string]any{"id": "board-1", "name": "Табло", "kind": "board", "office": "test", "active": false}, &ct); st != 200 {
		t.Fatalf("deactivate: %d", st)
	}
	for {
		m, err := g.read()
		if err != nil {
			if !websocket.IsCloseError(err, 4401) {
				t.Fatalf("deactivated board: %v, want close 4401", err)
			}
			break
		}
		if m.Type == "snapshot" || m.Type == "view" {
			t.Fatalf("deactivated board still gets %s", m.Type)
		}
	}
}

func TestFeedReportsSoundToManagers(t *testing.T) {
	s := mustServer(t)
	f := s.openFeed(s.Board, 0)
	f.next()
	if err := f.c.WriteJSON(web.FeedStatus{Type: "status", Page: "board", Sound: "blocked", Dropped: 2}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var d web.Display
	for d = s.displayOf("board-1"); d.Sound != "blocked"; d = s.displayOf("board-1") {
		if time.Now().After(deadline) {
			t.Fatalf("display %+v, want sound blocked", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !d.Connected || d.Kind != "board" || d.Page != "board" || d.Dropped != 2 || d.Name != "Табло" || d.SoundSince.IsZero() {
		t.Errorf("display %+v", d)
	}
	// Operators may not read it; the board itself neither.
	if st, _ := s.login("op1").raw("GET", "/api/v1/offices/test/displays", nil, nil); st != 403 {
		t.Errorf("operator reads displays: %d, want 403", st)
	}
	f.c.Close()
	for d = s.displayOf("board-1"); d.Connected; d = s.displayOf("board-1") {
		if time.Now().After(deadline) {
			t.Fatalf("display %+v still connected after close", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d.Sound != "blocked" {
		t.Errorf("after close: %+v, want the last sound state kept", d)
	}
}

func TestFeedEndsWhenTheServerShutsDown(t *testing.T) {
	s := mustServer(t)
	srv, err := web.New(web.Config{Queue: s.env.Q, Version: "test", Now: s.env.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	c, _, err := websocket.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/ws/offices/test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(web.FeedHello{Token: s.Board})
	var m web.FeedMessage
	if err := c.ReadJSON(&m); err != nil || m.Type != "snapshot" {
		t.Fatalf("%v %+v", err, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("after shutdown: %v, want close 1001", err)
	}
}

func TestFeedEndsWhenAccessNarrows(t *testing.T) {
	s := mustServer(t)
	admin := s.login("root")
	var key queue.ClientToken
	if st := admin.do("POST", "/api/v1/clients", map[string]any{"id": "screen-ais", "name": "Экран АИС", "kind": "api",
		"office": "test", "scopes": []string{"tickets:read", "feed:read"}, "active": true}, &key); st != 201 {
		t.Fatalf("create key: %d", st)
	}
	g := s.openFeed(key.Token, 0)
	g.next()
	// The key is narrowed to the display feed: the full feed it follows ends.
	if st := admin.do("PUT", "/api/v1/clients/screen-ais", map[string]any{"id": "screen-ais", "name": "Экран АИС", "kind": "api",
		"office": "test", "scopes": []string{"feed:read"}, "active": true}, nil); st != 200 {
		t.Fatalf("narrow key: %d", st)
	}
	for {
		m, err := g.read()
		if err != nil {
			if !websocket.IsCloseError(err, 4403) {
				t.Fatalf("narrowed key: %v, want close 4403", err)
			}
			break
		}
		if m.Type == "view" {
			t.Fatalf("a narrowed key still gets %s", m.Type)
		}
	}
	// It reconnects and follows the display feed, without personal data.
	g = s.openFeed(key.Token, 0)
	g.next()
}
