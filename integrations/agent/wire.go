package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talon-queue/talon/queue"
)

// This file is the whole wire protocol with the server; align it here.
//
// The agent opens ws(s)://…/ws/offices/{office}, sends hello first, then
// receives, in order:
//
//	{"type":"snapshot","seq":N,"view":<board.View: {"calls":[{"ticket":"…","number":"А042","window":1,…}],"windows":[{"number":1,"status":"open",…}],…}>}
//	{"type":"event","event":<queue.Event>}
//
// A snapshot replaces everything the agent knows; events follow it by Seq.
// With since > 0 the server may send just the events after since, or a fresh
// snapshot. Unknown message types are ignored.

// Message types.
const (
	msgSnapshot = "snapshot"
	msgEvent    = "event"
)

// hello is the agent's first message: its token and the Seq it has seen.
type hello struct {
	Token string `json:"token"`
	Since uint64 `json:"since"`
}

// wire is a server message as sent.
type wire struct {
	Type  string          `json:"type"`
	Seq   uint64          `json:"seq"`
	View  json.RawMessage `json:"view"`
	Event *queue.Event    `json:"event"`
}

// snapshotView is the part of the board view (board.View as JSON) the
// agent reads: the tickets at windows and the windows' states.
type snapshotView struct {
	Calls []struct {
		Ticket string `json:"ticket"` // ticket id
		Number string `json:"number"` // as printed, e.g. А042
		Window int    `json:"window"`
	} `json:"calls"`
	Windows []struct {
		Number int                `json:"number"`
		Status queue.WindowStatus `json:"status"`
	} `json:"windows"`
}

// message is a decoded server message.
type message struct {
	kind    string // msgSnapshot, msgEvent or another type (ignored)
	seq     uint64
	windows map[int]windowNow // snapshot: window number → what it serves
	event   *queue.Event
}

// windowNow is a window in a snapshot.
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
	case msgSnapshot:
		var v snapshotView
		if len(w.View) > 0 {
			if err := json.Unmarshal(w.View, &v); err != nil {
				return message{}, fmt.Errorf("agent: decode snapshot: %w", err)
			}
		}
		m.windows = map[int]windowNow{}
		for _, win := range v.Windows {
			m.windows[win.Number] = windowNow{status: win.Status}
		}
		for _, c := range v.Calls {
			w := m.windows[c.Window]
			w.ticket, w.number = c.Ticket, c.Number
			m.windows[c.Window] = w
		}
	case msgEvent:
		if w.Event == nil {
			return message{}, fmt.Errorf("agent: event message without event")
		}
		m.event, m.seq = w.Event, w.Event.Seq
	}
	return m, nil
}

// Timing of the connection.
const (
	handshakeTimeout = 10 * time.Second
	writeWait        = 10 * time.Second
	pingEvery        = 20 * time.Second
	readTimeout      = 3 * pingEvery // no message, ping or pong for this long: the link is dead
	readLimit        = 4 << 20       // a snapshot of a large office fits
)

// connect dials the server and says hello.
func connect(ctx context.Context, endpoint, token string, since uint64) (*websocket.Conn, error) {
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
	if err := conn.WriteJSON(hello{Token: token, Since: since}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("agent: hello: %w", err)
	}
	return conn, nil
}
