package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/talon-queue/talon/board"
	"github.com/talon-queue/talon/kiosk"
	"github.com/talon-queue/talon/queue"
)

// The realtime feed: GET /ws/offices/{office}, a websocket.
//
// Authentication. Secrets never travel in the URL (which proxies and access
// logs keep). The first message the client sends, within 5 seconds, is a
// hello:
//
//	{"token":"tln_…","since":42,"prints":["kiosk-1"]}
//
// token is a device token, an API key or a session token. Without one, the
// bearer token of the upgrade request's Authorization header is used (Go
// clients), else the session cookie of a logged-in person (pages), which is
// taken only from a same-origin page. Callers with tickets:read get events
// whole; display devices with only feed:read get them without personal data
// (queue.Event.Public). since is the last Seq the client has (0 or absent
// for none). prints, from device agents only, lists the kiosks (client ids)
// whose ticket printers the agent drives; absent or empty, the agent is
// sent no print jobs.
//
// Messages from the server, one JSON object per text frame:
//
//	{"type":"snapshot","seq":S,"view":{…},"now":"…","assets":"…"}
//	    the office at Seq S (a board.View), the server's clock and the hash
//	    of the page assets (a board reloads itself when they change); sent
//	    first unless the client can catch up.
//	{"type":"event","seq":N,"event":{…},"replay":true,"announce":{…}}
//	    every event after that, in Seq order, without gaps. replay marks the
//	    events a reconnecting client missed, read back from the event log.
//	    announce comes with calls and recalls: the number, the window, the
//	    voice clips (board.Announcement) and the spoken text, in ru and en
//	    (not for replayed calls older than two minutes).
//	{"type":"view","seq":N,"view":{…},"now":"…"}
//	    the board view after the events up to N: after a replay, 50 ms after
//	    the first event of each burst, and after a change the view was rebuilt for (its
//	    catalogue or the office changed); a client takes it as the whole picture.
//	    Every view carries the office's board layout (view.board, see
//	    queue.BoardSettings), so an admin's change reaches open boards at once.
//	{"type":"error","error":{"code":"auth_required","message":"…"}}
//	    the connection is refused; a close frame with code 4000+HTTP status
//	    follows (4400, 4401, 4403, 4404).
//
// On reconnect the client sends since=Seq: when it is at most 1000 events
// behind it gets exactly the events it missed and a view; else a snapshot.
// Other close codes: 1001 the server is shutting down, 1013 the client fell
// behind (its subscription was dropped) and should reconnect with since.
//
// Print jobs, to device agents only (client kind agent) that drive a
// kiosk's printer (the kiosk's printer address is "agent" or
// "agent:<agent id>", see queue.PrinterConfig and print.go). A job goes to
// one connection whose hello listed the kiosk in prints, of the named
// agent for "agent:<id>", of any agent of the office for "agent"; the
// newest such connection when there are several. With none, the print
// fails at once as printer_unreachable:
//
//	{"type":"print","job":{"id":"pj-…","kiosk":"kiosk-1","ticket":"17",
//	  "profile":"generic-escpos-80","receipt":{"office":"МФЦ …",
//	  "number":"П001","service":"Паспорт РФ","issued":"2026-11-24T10:00:00+03:00",
//	  "ahead":2,"wait_seconds":1200,"url":"https://…/t/17-…","barcode":"17"}}}
//	    print receipt (kiosk.PrintJob; decode it into that type) on the
//	    printer the agent keeps for kiosk, with profile, and answer within
//	    30 seconds with a print_result naming the job (kiosk.Print does
//	    both). A job sent to a connection that closes before it answers
//	    fails as printer_unreachable.
//
// Messages from the client after the hello (at most 4 KiB each):
//
//	{"type":"status","page":"board","sound":"blocked","dropped":3}
//	    what the screen reports of itself; managers read it at
//	    GET /api/v1/offices/{office}/displays.
//	{"type":"print_result","job":"pj-…","ok":false,"code":"printer_paper_out",
//	  "sent":false,"status":{"known":true,"offline":true,"paper_out":true}}
//	    an agent's answer to a print job (kiosk.PrintResult): ok only when
//	    the printer confirmed the ticket before and after; else code is one
//	    of kiosk.PrintCodes(). The kiosk gets the outcome, it is journalled
//	    as event ticket.printed, and managers see it at
//	    GET /api/v1/offices/{office}/printers.
//
// The server pings every 20 seconds and drops a connection that has not
// answered for 45; each write must complete within 10 seconds.

// Feed timings and limits.
const (
	feedHelloWait  = 5 * time.Second
	feedPingEvery  = 20 * time.Second
	feedPongWait   = 45 * time.Second
	feedWriteWait  = 10 * time.Second
	feedReadLimit  = 4 << 10
	feedBuffer     = 256      // events a connection may lag behind before it is dropped
	feedSendBuffer = 64 << 10 // the kernel's send buffer of a feed connection
	feedMaxReplay  = 1000
	feedAnnounceMx = 2 * time.Minute // replayed calls older than this are not announced
	feedViewDelay  = 50 * time.Millisecond
)

// Close codes of the feed beyond RFC 6455: 4000 + the HTTP status of the
// error that refused the connection.
const feedCloseBase = 4000

const localsFeed = "talon.feed"

// FeedHello is the first message a feed client sends.
type FeedHello struct {
	Token string `json:"token,omitempty" doc:"device token, API key or session token"`
	Since uint64 `json:"since,omitempty" doc:"the last Seq the client has; 0 for a snapshot"`
	// Prints is sent by device agents: the kiosks whose printers they drive.
	Prints []string `json:"prints,omitempty" doc:"device agents: client ids of the kiosks whose ticket printers it drives; print jobs go only to an agent that lists the kiosk"`
}

// FeedStatus is what a screen reports of itself over the feed.
type FeedStatus struct {
	Type    string `json:"type" doc:"status"`
	Page    string `json:"page,omitempty" doc:"what the screen shows, e.g. board"`
	Sound   string `json:"sound,omitempty" doc:"on, off or blocked"`
	Dropped int    `json:"dropped,omitempty" doc:"announcements not heard because sound was blocked, since the page loaded"`
}

// FeedMessage is one message of the server on the feed.
type FeedMessage struct {
	Type     string          `json:"type" doc:"snapshot, event, view, print or error"`
	Seq      uint64          `json:"seq,omitempty"`
	Now      *time.Time      `json:"now,omitempty" doc:"server time, for display clocks"`
	Assets   string          `json:"assets,omitempty" doc:"hash of the page assets"`
	View     *board.View     `json:"view,omitempty"`
	Event    *queue.Event    `json:"event,omitempty"`
	Replay   bool            `json:"replay,omitempty"`
	Announce *Announcement   `json:"announce,omitempty"`
	Job      *kiosk.PrintJob `json:"job,omitempty" doc:"a print job, to device agents"`
	Error    *ErrorDetail    `json:"error,omitempty"`
}

// FeedPrintResult is a device agent's answer to a print job.
type FeedPrintResult struct {
	Type string `json:"type" doc:"print_result"`
	kiosk.PrintResult
}

// Announcement is what a board says and shows for a call.
type Announcement struct {
	Ticket string              `json:"ticket" doc:"ticket id"`
	Number string              `json:"number"`
	Window int                 `json:"window"`
	Recall bool                `json:"recall,omitempty"`
	Clips  map[string][]string `json:"clips" doc:"voice clips per language (ru, en), chime first"`
	Text   map[string]string   `json:"text" doc:"the spoken phrase per language"`
}

// feedRequest is what the upgrade request tells, copied before the upgrade.
type feedRequest struct {
	token      string // from the Authorization header or the session cookie
	fromCookie bool
	sameOrigin bool
	lang       string
	done       <-chan struct{} // closed when the server shuts down
}

// realtime registers the feed and the displays it reports to managers.
// assets is the hash of the page assets, sent in snapshots.
func (s *Server) realtime(assets string) {
	d := newDisplays(s.cfg.Now, s.log)
	s.app.Get("/ws/offices/:office", func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return fiber.ErrUpgradeRequired
		}
		// A fixed, modest send buffer: a client that stops reading fills it
		// soon and is dropped, instead of holding megabytes of backlog.
		if sb, ok := c.Context().Conn().(interface{ SetWriteBuffer(int) error }); ok {
			sb.SetWriteBuffer(feedSendBuffer)
		}
		tok, fromCookie := token(c)
		c.Locals(localsFeed, &feedRequest{token: tok, fromCookie: fromCookie, sameOrigin: sameOrigin(c),
			lang: lang(c), done: c.Context().Done()})
		return c.Next()
	}, websocket.New(func(c *websocket.Conn) {
		r, _ := c.Locals(localsFeed).(*feedRequest)
		f := &feed{s: s, ws: c, req: r, office: c.Params("office"), assets: assets, displays: d}
		f.run()
	}, websocket.Config{
		ReadBufferSize:  1024,
		WriteBufferSize: 8192,
		RecoverHandler: func(c *websocket.Conn) {
			if r := recover(); r != nil {
				s.log.Error("feed: panic", "err", r)
			}
		},
	}))

	add(s, op{Method: "GET", Path: "/api/v1/offices/{office}/displays", ID: "listDisplays", Tag: "events", Perm: "queue:manage", Errors: []int{404},
		Summary: "Screens and panels on the realtime feed (/ws/offices/{office}): connected or not, and whether their sound is blocked"},
		func(r *request, _ none) ([]Display, error) {
			if !r.p.Can(queue.PermManage, r.office()) {
				return nil, queue.E(queue.KindForbidden, queue.CodeForbidden, "perm", string(queue.PermManage))
			}
			if _, err := s.q.Catalog(queue.System(), r.office()); err != nil {
				return nil, err
			}
			return d.list(r.office()), nil
		})
}

// sameOrigin reports whether a browser's Origin, if any, is this server.
func sameOrigin(c *fiber.Ctx) bool {
	o := c.Get(fiber.HeaderOrigin)
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, c.Get(fiber.HeaderHost))
}

// feed is one connection.
type feed struct {
	s        *Server
	ws       *websocket.Conn
	sub      *queue.Subscription
	req      *feedRequest
	office   string
	assets   string
	displays *displays

	agent *agentConn // print jobs for this connection of a device agent; nil for others
	token string
	p     *queue.Principal
	full  bool // tickets:read: events whole
	view  *board.View
	last  uint64 // the Seq the client has
}

func (f *feed) run() {
	if f.req == nil {
		return
	}
	f.ws.SetReadLimit(feedReadLimit)
	hello, err := f.hello()
	if err != nil {
		f.refuse(err)
		return
	}
	if err := f.authorize(hello); err != nil {
		f.refuse(err)
		return
	}
	// Subscribe before reading the state, so nothing falls between: events
	// the state already holds arrive with a Seq not above it and are skipped.
	f.sub = f.s.q.Hub().Subscribe(f.office, feedBuffer)
	defer f.sub.Close()
	if f.p.Kind == "client" && f.p.Client == queue.ClientAgent {
		// Before the snapshot: an agent that has it can be sent print jobs,
		// which wait in f.agent.out until the loop writes them.
		f.agent = f.s.agents.join(f.office, f.p.ID, hello.Prints)
		defer f.s.agents.leave(f.agent)
	}
	if err := f.start(hello.Since); err != nil {
		var qe *queue.Error
		if errors.As(err, &qe) {
			f.refuse(err)
		}
		return // else the client went away
	}
	key := f.displays.connect(f.office, f.p)
	defer f.displays.disconnect(key)

	readDone, stop, watchDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go f.read(key, readDone)
	go f.watch(stop, watchDone)
	defer func() {
		close(stop)
		f.abort() // ends the reader
		<-readDone
		<-watchDone
	}()
	if err := f.loop(readDone); err != nil && !errors.Is(err, errFeedClosed) {
		f.s.log.Debug("feed: connection ends", "office", f.office, "device", f.p.ID, "err", err)
	}
}

var errFeedClosed = errors.New("feed closed")

// hello reads the first message.
func (f *feed) hello() (FeedHello, error) {
	var h FeedHello
	f.ws.SetReadDeadline(time.Now().Add(feedHelloWait))
	_, b, err := f.ws.ReadMessage()
	if err != nil {
		return h, queue.E(queue.KindUnauthorized, queue.CodeAuthRequired)
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, queue.E(queue.KindInvalid, queue.CodeInvalidRequest)
	}
	return h, nil
}

// authorize finds the caller and checks that they may follow the office.
func (f *feed) authorize(h FeedHello) error {
	f.token = h.Token
	if f.token == "" {
		f.token = f.req.token
		if f.req.fromCookie && !f.req.sameOrigin {
			return queue.E(queue.KindForbidden, codeCSRF)
		}
	}
	p, err := f.s.q.Authenticate(f.token)
	if err != nil {
		return err
	}
	f.p = p
	f.full = p.Can(queue.PermRead, f.office)
	if !f.full && !p.Can(queue.PermFeed, f.office) {
		if p.Office != "" && p.Office != f.office {
			return queue.E(queue.KindForbidden, queue.CodeOfficeForbidden)
		}
		return queue.E(queue.KindForbidden, queue.CodeForbidden, "perm", string(queue.PermFeed))
	}
	return nil
}

// recheck ends the feed when the caller's token no longer works or their
// access changed (a key narrowed to feed:read, a user moved to another
// office): the feed was built for the access they had, and a client that
// reconnects gets what it has now.
func (f *feed) recheck() error {
	p, err := f.s.q.Authenticate(f.token)
	if err == nil {
		full := p.Can(queue.PermRead, f.office)
		if full != f.full || (!full && !p.Can(queue.PermFeed, f.office)) {
			err = queue.E(queue.KindForbidden, queue.CodeForbidden, "perm", string(queue.PermRead))
		}
	}
	if err != nil {
		f.refuse(err)
		return errFeedClosed
	}
	f.p = p
	return nil
}

// start sends what the client needs to be current: the events it missed
// and a view, or a snapshot.
func (f *feed) start(since uint64) error {
	live, err := f.s.q.Live(f.p, f.office)
	if err != nil {
		return err
	}
	if since == 0 || since > live.Seq || live.Seq-since > feedMaxReplay {
		return f.snapshot(live)
	}
	evs, err := f.s.q.Events(context.Background(), f.p, f.office, since, int(live.Seq-since), 0)
	if err != nil {
		return err
	}
	if uint64(len(evs)) != live.Seq-since || (len(evs) > 0 && (evs[0].Seq != since+1 || evs[len(evs)-1].Seq != live.Seq)) {
		return f.snapshot(live) // the log does not have them all: start afresh
	}
	for _, e := range evs {
		if err := f.send(f.message(e, true)); err != nil {
			return err
		}
	}
	f.view, f.last = board.New(live), live.Seq
	return f.sendView()
}

// snapshot starts the client afresh from live.
func (f *feed) snapshot(live queue.Live) error {
	f.view, f.last = board.New(live), live.Seq
	now := f.s.cfg.Now()
	return f.send(FeedMessage{Type: "snapshot", Seq: live.Seq, Now: &now, Assets: f.assets, View: f.view})
}

func (f *feed) sendView() error {
	return f.sendShared(feedKey{f.office, f.last, 'v'}, func() FeedMessage {
		now := f.s.cfg.Now()
		return FeedMessage{Type: "view", Seq: f.last, Now: &now, View: f.view}
	})
}

// loop sends events as they come, pings, and ends when the client goes,
// falls behind, loses its access or the server shuts down.
func (f *feed) loop(readDone <-chan struct{}) error {
	ping := time.NewTicker(feedPingEvery)
	defer ping.Stop()
	var jobs <-chan *kiosk.PrintJob
	if f.agent != nil {
		jobs = f.agent.out
	}
	// The view follows a burst of events by feedViewDelay: the events (and
	// their announcements) of a call reach every board first, and the view
	// is written once for the burst, not once per event.
	view := time.NewTimer(time.Hour)
	view.Stop()
	defer view.Stop()
	viewDue := false
	for {
		select {
		case <-view.C:
			viewDue = false
			if err := f.sendView(); err != nil {
				return err
			}
		case job := <-jobs:
			if err := f.send(FeedMessage{Type: "print", Job: job}); err != nil {
				return err
			}
		case e, ok := <-f.sub.C:
			if !ok {
				f.close(websocket.CloseTryAgainLater, "fell behind")
				return errFeedClosed
			}
			if err := f.event(e); err != nil {
				return err
			}
			if !viewDue {
				viewDue = true
				view.Reset(feedViewDelay)
			}
		case <-ping.C:
			if err := f.recheck(); err != nil {
				return err
			}
			if err := f.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(feedWriteWait)); err != nil {
				return err
			}
		case <-readDone:
			return errFeedClosed
		case <-f.req.done:
			f.close(websocket.CloseGoingAway, "server shutting down")
			return errFeedClosed
		}
	}
}

// event sends the next event and applies it to the connection's view.
func (f *feed) event(e *queue.Event) error {
	if e.Seq <= f.last {
		return nil // already in the snapshot or the replay
	}
	if e.Seq != f.last+1 {
		// The hub delivers every event or drops the subscription, so this
		// is a bug; the client reconnects and catches up from the log.
		f.s.log.Error("feed: events skipped", "office", f.office, "have", f.last, "got", e.Seq)
		f.close(websocket.CloseInternalServerErr, "gap")
		return errFeedClosed
	}
	f.last = e.Seq
	if c := e.Config; c != nil && (c.Kind == "user" || c.Kind == "client") {
		// A change of the office's people or devices may be this one's.
		if err := f.recheck(); err != nil {
			return err
		}
	}
	kind := byte('p')
	if f.full {
		kind = 'f'
	}
	if err := f.sendShared(feedKey{f.office, e.Seq, kind}, func() FeedMessage { return f.message(e, false) }); err != nil {
		return err
	}
	if eff := f.view.Apply(e); eff.Resync { // the view keeps numbers and windows, no personal data
		return f.rebuild()
	}
	return nil
}

func (f *feed) message(e *queue.Event, replay bool) FeedMessage {
	out := e
	if !f.full {
		out = e.Public()
	}
	m := FeedMessage{Type: "event", Seq: e.Seq, Event: out, Replay: replay}
	if !replay || f.s.cfg.Now().Sub(e.At) <= feedAnnounceMx {
		m.Announce = announcement(e)
	}
	return m
}

// rebuild reads the office afresh after a change the view cannot follow
// (its catalogue changed). The events up to the new picture's Seq are
// committed and on their way through the subscription: they are sent first,
// so the client still gets every event, and the view matches them.
func (f *feed) rebuild() error {
	// A change of the office's people or devices may have changed this one.
	if err := f.recheck(); err != nil {
		return err
	}
	live, err := f.s.q.Live(f.p, f.office)
	if err != nil {
		f.refuse(err)
		return errFeedClosed
	}
	wait := time.NewTimer(feedWriteWait)
	defer wait.Stop()
	for f.last < live.Seq {
		select {
		case e, ok := <-f.sub.C:
			if !ok {
				f.close(websocket.CloseTryAgainLater, "fell behind")
				return errFeedClosed
			}
			if e.Seq <= f.last {
				continue
			}
			if e.Seq != f.last+1 {
				f.close(websocket.CloseInternalServerErr, "gap")
				return errFeedClosed
			}
			f.last = e.Seq
			if err := f.send(f.message(e, false)); err != nil {
				return err
			}
		case <-wait.C:
			f.close(websocket.CloseInternalServerErr, "events late")
			return errFeedClosed
		}
	}
	f.view = board.New(live)
	return nil
}

// announcement returns what to say for a call or recall, nil for other events.
func announcement(e *queue.Event) *Announcement {
	if (e.Type != queue.EventTicketCalled && e.Type != queue.EventTicketRecalled) || e.Ticket == nil || e.Ticket.Window == 0 {
		return nil
	}
	t := e.Ticket
	a := &Announcement{Ticket: t.ID, Number: t.Number, Window: t.Window, Recall: e.Type == queue.EventTicketRecalled,
		Clips: map[string][]string{}, Text: map[string]string{}}
	for _, l := range langs {
		a.Clips[l] = board.Announcement(t.Number, t.Window, l)
		a.Text[l] = board.AnnouncementText(t.Number, t.Window, l)
	}
	return a
}

func (f *feed) send(m FeedMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}

	f.ws.SetWriteDeadline(time.Now().Add(feedWriteWait))
	return f.ws.WriteMessage(websocket.TextMessage, b)
}

// sendShared sends a live message that is the same for every connection of
// the office with the same access: it is encoded once, for a thousand boards.
func (f *feed) sendShared(k feedKey, build func() FeedMessage) error {
	pm, err := f.s.feedCache.get(k, build)
	if err != nil {
		return err
	}
	f.ws.SetWriteDeadline(time.Now().Add(feedWriteWait))
	return f.ws.WritePreparedMessage(pm)
}

// feedKey names a shared feed message: an office's event at a Seq, public
// ('p') or whole ('f'), or its board view after that Seq ('v').
type feedKey struct {
	office string
	seq    uint64
	kind   byte
}

// feedCache keeps the encoded messages of recent events and views.
type feedCache struct {
	mu   sync.Mutex
	msgs map[feedKey]cachedFeed
	keys []feedKey // oldest first
}

type cachedFeed struct {
	pm *fws.PreparedMessage
	at time.Time
}

// feedViewFresh is how long an encoded view may be shared: it carries the
// server's clock, which boards show.
const feedViewFresh = time.Second

const feedCacheSize = 4096

func (c *feedCache) get(k feedKey, build func() FeedMessage) (*fws.PreparedMessage, error) {
	fresh := func(e cachedFeed) bool {
		return e.pm != nil && (k.kind != 'v' || time.Since(e.at) < feedViewFresh)
	}
	c.mu.Lock()
	e := c.msgs[k]
	c.mu.Unlock()
	if fresh(e) {
		return e.pm, nil
	}
	b, err := json.Marshal(build())
	if err != nil {
		return nil, err
	}
	pm, err := fws.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.msgs[k]; fresh(old) {
		return old.pm, nil
	} else if old.pm == nil {
		c.keys = append(c.keys, k)
	}
	if c.msgs == nil {
		c.msgs = map[feedKey]cachedFeed{}
	}
	c.msgs[k] = cachedFeed{pm: pm, at: time.Now()}
	if len(c.keys) > feedCacheSize {
		delete(c.msgs, c.keys[0])
		c.keys = c.keys[1:]
	}
	return pm, nil
}

// refuse tells the client why it is turned away and closes.
func (f *feed) refuse(err error) {
	var qe *queue.Error
	code, status, params := codeInternal, 500, map[string]string(nil)
	if errors.As(err, &qe) {
		code, status, params = qe.Code, statusOf(qe.Kind), qe.Params
	} else {
		f.s.log.Error("feed: refused", "office", f.office, "err", err)
	}
	msg := f.s.msgs.message(f.req.lang, code, params)
	f.send(FeedMessage{Type: "error", Error: &ErrorDetail{Code: code, Message: msg}})
	f.close(feedCloseBase+status, code)
}

func (f *feed) close(code int, reason string) {
	f.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

// abort ends every read and write in progress on the connection. (Closing
// a hijacked fasthttp connection is left to fasthttp, after the handler
// returns; until then Close does nothing.)
func (f *feed) abort() {
	f.ws.NetConn().SetDeadline(time.Now())
}

// watch closes the connection as soon as the hub drops its subscription,
// even while a write to the slow client is stuck: it reconnects and catches
// up from the log.
func (f *feed) watch(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	select {
	case <-stop:
	case <-f.sub.Lost():
		f.s.log.Info("feed: client fell behind and is dropped", "office", f.office, "device", f.p.ID)
		f.close(websocket.CloseTryAgainLater, "fell behind")
		f.abort()
	}
}

// read takes the client's messages: pongs keep the connection alive, status
// messages go to the displays. It ends when the connection does.
func (f *feed) read(key string, done chan<- struct{}) {
	defer close(done)
	f.ws.SetReadDeadline(time.Now().Add(feedPongWait))
	f.ws.SetPongHandler(func(string) error { return f.ws.SetReadDeadline(time.Now().Add(feedPongWait)) })
	for {
		_, b, err := f.ws.ReadMessage()
		if err != nil {
			return
		}
		f.ws.SetReadDeadline(time.Now().Add(feedPongWait))
		var kind struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(b, &kind) != nil {
			continue
		}
		switch kind.Type {
		case "status":
			var st FeedStatus
			if json.Unmarshal(b, &st) == nil {
				f.displays.report(key, st)
			}
		case "print_result":
			var res FeedPrintResult
			if f.agent == nil || json.Unmarshal(b, &res) != nil {
				continue
			}
			if err := f.s.agents.result(f.agent, res.PrintResult); err != nil {
				f.s.log.Info("feed: print result dropped", "office", f.office, "device", f.p.ID, "job", res.Job, "err", err)
			}
		}
	}
}

// Display is a screen or panel on the realtime feed, as managers see it.
// The server keeps it in memory: after a restart each screen reports again
// when it reconnects.
type Display struct {
	Office      string    `json:"office"`
	Device      string    `json:"device" doc:"client id of a device, or user id of a person"`
	Name        string    `json:"name"`
	Kind        string    `json:"kind" doc:"board, kiosk, rating, agent, api or user"`
	Page        string    `json:"page,omitempty" doc:"what the screen shows, as it reports: board, …"`
	Connected   bool      `json:"connected"`
	Connections int       `json:"connections" doc:"open connections of this device"`
	Since       time.Time `json:"since" doc:"when it connected, or when it went away"`
	Sound       string    `json:"sound,omitempty" doc:"on, off, or blocked: the browser keeps sound off until someone taps the screen; empty until the screen says"`
	SoundSince  time.Time `json:"sound_since,omitzero"`
	Dropped     int       `json:"dropped_announcements,omitempty" doc:"announcements not heard because sound was blocked, since the page loaded"`
}

// displays keeps the Display of every device and person on the feed.
type displays struct {
	now func() time.Time
	log *slog.Logger
	mu  sync.Mutex
	m   map[string]*Display
}

func newDisplays(now func() time.Time, log *slog.Logger) *displays {
	return &displays{now: now, log: log, m: map[string]*Display{}}
}

func (d *displays) connect(office string, p *queue.Principal) string {
	key := office + "\x00" + p.Kind + ":" + p.ID
	kind := string(p.Client)
	if p.Kind == "user" {
		kind = "user"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	x := d.m[key]
	if x == nil {
		x = &Display{Office: office, Device: p.ID, Kind: kind}
		d.m[key] = x
	}
	x.Name = p.Name
	if x.Connections == 0 {
		x.Connected, x.Since = true, d.now()
	}
	x.Connections++
	return key
}

func (d *displays) disconnect(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if x := d.m[key]; x != nil {
		if x.Connections--; x.Connections <= 0 {
			x.Connections, x.Connected, x.Since = 0, false, d.now()
		}
	}
}

var pageName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

func (d *displays) report(key string, st FeedStatus) {
	d.mu.Lock()
	defer d.mu.Unlock()
	x := d.m[key]
	if x == nil {
		return
	}
	if pageName.MatchString(st.Page) {
		x.Page = st.Page
	}
	if st.Dropped >= 0 && st.Dropped < 1<<20 {
		x.Dropped = st.Dropped
	}
	switch st.Sound {
	case "on", "off", "blocked":
		if st.Sound != x.Sound {
			x.Sound, x.SoundSince = st.Sound, d.now()
			if st.Sound == "blocked" {
				d.log.Warn("display: sound blocked by the browser", "office", x.Office, "device", x.Device, "name", x.Name)
			}
		}
	}
}

func (d *displays) list(office string) []Display {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Display
	for _, x := range d.m {
		if x.Office == office {
			out = append(out, *x)
		}
	}
	slices.SortFunc(out, func(a, b Display) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Device, b.Device)) })
	return out
}
