package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talon-queue/talon/board"
	"github.com/talon-queue/talon/kiosk"
	"github.com/talon-queue/talon/queue"
)

// This file is the whole wire protocol with the server (the office feed of
// web/ws.go); align it here.
//
// The agent opens ws(s)://…/ws/offices/{office} and sends its hello first
// (within the server's 5 seconds):
//
//	{"token":"tln_…","since":42,"prints":["kiosk-1"]}
//
// since is the Seq of the last event the agent applied (0: none); prints
// lists the kiosks whose printers the agent drives (absent when none): the
// server sends print jobs only for those. The server answers with text
// frames, one JSON object each:
//
//	{"type":"snapshot","seq":S,"view":<board.View>,"now":"…","assets":"…"}
//	    the office at Seq S; when since is 0, ahead of the server's log or
//	    too far behind it.
//	{"type":"event","seq":N,"event":<queue.Event>,"replay":true,"announce":{…}}
//	    every event after that, in Seq order. replay marks the events missed
//	    since the hello's since, read back from the log; announce comes with
//	    calls and recalls the server would announce (live ones, and replayed
//	    ones less than two minutes old).
//	{"type":"view","seq":N,"view":<board.View>,"now":"…"}
//	    the office after the events up to N: after a replay, after each burst
//	    of events, and after a change the view had to be rebuilt for.
//	{"type":"error","error":{"code":"auth_required","message":"…"}}
//	    the agent is refused; a close frame with 4000 + the HTTP status
//	    follows (4401 bad token, 4403 another office, 4404 no such office).
//	{"type":"print","job":<kiosk.PrintJob>}
//	    a ticket to print on a kiosk's printer; the agent answers within the
//	    server's 30 seconds, on the same connection:
//	    {"type":"print_result","job":"pj-…","ok":true,"sent":true,"status":{…}}
//	    (kiosk.PrintResult), at once with printer_unreachable for a kiosk it
//	    has no printer for. A connection that closes fails its open jobs on
//	    the server; an answer due on it is dropped.
//
// The agent reads the calls and windows of board.View (its JSON is the
// server's, so the two cannot drift apart), and treats a view like a
// snapshot without its reset of Seq: displays that already agree are left
// alone. Unknown message types are ignored.

// Message types of the feed.
const (
	msgSnapshot = "snapshot"
	msgEvent    = "event"
	msgView     = "view"
	msgError    = "error"
	msgPrint    = "print"
)

// typePrintResult is the type of the agent's answer to a print job.
const typePrintResult = "print_result"

// closeRefused is the base of the close codes that refuse a connection:
// 4000 + the HTTP status of the error.
const closeRefused = 4000

// hello is the agent's first message: its token, the Seq it has seen and
// the kiosks it prints for.
type hello struct {
	Token  string   `json:"token"`
	Since  uint64   `json:"since"`
	Prints []string `json:"prints,omitempty"`
}

// printResult is the agent's answer to a print job (web.FeedPrintResult).
type printResult struct {
	Type string `json:"type"` // typePrintResult
	kiosk.PrintResult
}

// wire is a server message as sent (web.FeedMessage, the parts the agent reads).
type wire struct {
	Type     string          `json:"type"`
	Seq      uint64          `json:"seq"`
	View     *board.View     `json:"view"`
	Event    *queue.Event    `json:"event"`
	Replay   bool            `json:"replay"`
	Announce json.RawMessage `json:"announce"`
	Error    *refusal        `json:"error"`
	Job      *kiosk.PrintJob `json:"job"`
}

// refusal is the server's reason for turning the agent away.
type refusal struct {
	Code    string `json:"code"`
	Message string `json:"message"` // in the server's default language
	Status  int    `json:"-"`       // HTTP status from the close code; 0 until it arrives
}

func (r *refusal) Error() string {
	if r.Status != 0 {
		return fmt.Sprintf("agent: refused by the server (%d %s): %s", r.Status, r.Code, r.Message)
	}
	return fmt.Sprintf("agent: refused by the server (%s): %s", r.Code, r.Message)
}

// message is a decoded server message.
type message struct {
	kind    string // msgSnapshot, msgView, msgEvent, msgError, msgPrint or another type (ignored)
	seq     uint64
	windows map[int]windowNow // snapshot and view: window number → what it serves
	event   *queue.Event
	blink   bool     // event: a call to flash (live, or replayed and still announced)
	refusal *refusal // error
	job     *kiosk.PrintJob
}

// windowNow is a window in a snapshot or view.
type windowNow struct {
	status queue.WindowStatus
	ticket string // ticket id, "" when the window serves nobody
	number string // ticket number as printed, e.g. А042
}

// decode parses one server message.
func decode(data []byte) (message, error) {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return message{}, fmt.Errorf("agent: decode message: %w", err)
	}
	m := message{kind: w.Type, seq: w.Seq}
	switch w.Type {
	case msgSnapshot, msgView:
		if w.View == nil {
			return message{}, fmt.Errorf("agent: %s message without view", w.Type)
		}
		if m.seq == 0 {
			m.seq = w.View.Seq
		}
		m.windows = map[int]windowNow{}
		for _, win := range w.View.Windows {
			m.windows[win.Number] = windowNow{status: win.Status}
		}
		for _, c := range w.View.Calls {
			now := m.windows[c.Window]
			now.ticket, now.number = c.Ticket, c.Number
			m.windows[c.Window] = now
		}
	case msgEvent:
		if w.Event == nil {
			return message{}, errors.New("agent: event message without event")
		}
		m.event = w.Event
		if m.seq == 0 {
			m.seq = w.Event.Seq
		}
		announced := len(w.Announce) > 0 && string(w.Announce) != "null"
		m.blink = !w.Replay || announced
	case msgPrint:
		if w.Job == nil || w.Job.ID == "" {
			return message{}, errors.New("agent: print message without a job id")
		}
		m.job = w.Job
	case msgError:
		m.refusal = w.Error
		if m.refusal == nil {
			m.refusal = &refusal{Code: "unknown"}
		}
	}
	return m, nil
}

// refusedStatus returns the HTTP status of a close that refuses the agent
// (close code 4000 + status).
func refusedStatus(err error) (int, bool) {
	var ce *websocket.CloseError
	if errors.As(err, &ce) && ce.Code >= closeRefused+400 && ce.Code < closeRefused+600 {
		return ce.Code - closeRefused, true
	}
	return 0, false
}

// Timing of the connection. The server pings every 20 s and drops a
// connection silent for 45 s; the agent pings as often and gives up on a
// server silent for three rounds.
const (
	handshakeTimeout = 10 * time.Second
	writeWait        = 10 * time.Second
	refusalWait      = 2 * time.Second // for the close frame after an error message
	pingEvery        = 20 * time.Second
	readTimeout      = 3 * pingEvery // no message, ping or pong for this long: the link is dead
	readLimit        = 4 << 20       // a snapshot of a large office fits
)

// connect dials the server and says hello.
func connect(ctx context.Context, endpoint string, h hello) (*websocket.Conn, error) {
	d := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: handshakeTimeout}
	conn, resp, err := d.DialContext(ctx, endpoint, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("agent: dial %s: %w (HTTP %d)", endpoint, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("agent: dial %s: %w", endpoint, err)
	}
	conn.SetReadLimit(readLimit)
	if err := conn.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.WriteJSON(h); err != nil {
		conn.Close()
		return nil, fmt.Errorf("agent: hello: %w", err)
	}
	return conn, nil
}
