package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talon-queue/talon/queue"
)

// feedMessage is what the load tool reads of the office feed.
type feedMessage struct {
	Type  string `json:"type"`
	Seq   uint64 `json:"seq"`
	Event *struct {
		Type   queue.EventType `json:"type"`
		Ticket *struct {
			ID string `json:"id"`
		} `json:"ticket"`
	} `json:"event"`
}

// loadBoard is one simulated hall board: a websocket following the feed
// and the time each call reached it.
type loadBoard struct {
	conn    *websocket.Conn
	mu      sync.Mutex
	arrived map[string]time.Time // ticket id → when its call arrived
	ready   chan struct{}        // closed at the first snapshot
}

// loadBoards opens n board connections to the office feed, makes calls
// through the API at a steady pace, and reports how long each call took to
// reach every board (from the call request's start to the event's arrival).
func (t *loadTarget) loadBoards(ctx context.Context, w io.Writer, token, service string, n, calls int, every time.Duration) error {
	wsURL := "ws" + strings.TrimPrefix(t.url, "http") + "/ws/offices/" + t.office
	dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 1024}
	boards := make([]*loadBoard, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32) // connect 32 at a time
	var dialErr error
	var errMu sync.Mutex
	for i := range boards {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conn, _, err := dialer.DialContext(ctx, wsURL, http.Header{})
			if err == nil {
				err = conn.WriteJSON(map[string]any{"token": token, "since": 0})
			}
			if err != nil {
				errMu.Lock()
				dialErr = err
				errMu.Unlock()
				return
			}
			b := &loadBoard{conn: conn, arrived: map[string]time.Time{}, ready: make(chan struct{})}
			boards[i] = b
			go b.read()
		}()
	}
	wg.Wait()
	defer func() {
		for _, b := range boards {
			if b != nil {
				b.conn.Close()
			}
		}
	}()
	if dialErr != nil {
		return fmt.Errorf("connect boards: %w", dialErr)
	}
	for _, b := range boards {
		select {
		case <-b.ready:
		case <-time.After(30 * time.Second):
			return fmt.Errorf("a board got no snapshot within 30 s")
		}
	}
	fmt.Fprintf(w, "%d boards connected to %s\n", n, wsURL)

	// Tickets to call, then calls at the windows in turn; each called
	// visitor is marked a no-show at once so the window is free again.
	issue, _ := json.Marshal(queue.IssueRequest{Service: service})
	for range calls {
		if _, fail := t.post(ctx, "/api/v1/offices/"+t.office+"/tickets", issue, nil); fail != "" {
			return fmt.Errorf("issue: %s", fail)
		}
	}
	var windows []queue.WindowView
	if _, fail := t.get(ctx, "/api/v1/offices/"+t.office+"/windows", &windows); fail != "" {
		return fmt.Errorf("windows: %s", fail)
	}
	var ops []operatorLogin // the operators whose window serves the service
	for _, op := range t.ops {
		for _, win := range windows {
			if win.Number == op.Window && slices.ContainsFunc(win.Services, func(s queue.WindowService) bool { return s.Service == service }) {
				ops = append(ops, op)
			}
		}
	}
	if len(ops) == 0 {
		return fmt.Errorf("no operator's window serves %s", service)
	}
	sent := map[string]time.Time{}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := range calls {
		<-tick.C
		op := ops[i%len(ops)]
		who, _ := json.Marshal(map[string]string{"operator": op.Login})
		var call queue.Call
		t0 := time.Now()
		if _, fail := t.post(ctx, fmt.Sprintf("/api/v1/offices/%s/windows/%d/call-next", t.office, op.Window), who, &call); fail != "" {
			return fmt.Errorf("call-next: %s", fail)
		}
		sent[call.Ticket.ID] = t0
		if _, fail := t.post(ctx, "/api/v1/tickets/"+call.Ticket.ID+"/no-show", nil, nil); fail != "" {
			return fmt.Errorf("no-show: %s", fail)
		}
	}
	time.Sleep(2 * time.Second) // stragglers
	var st loadStats
	missing := 0
	for _, b := range boards {
		b.mu.Lock()
		for id, t0 := range sent {
			if at, ok := b.arrived[id]; ok {
				st.add(at.Sub(t0), "")
			} else {
				missing++
			}
		}
		b.mu.Unlock()
	}
	fmt.Fprintf(w, "%d calls × %d boards: %d delivered, %d missing\n", calls, n, len(st.lat), missing)
	st.report(w, "delivery", time.Duration(calls)*every)
	if missing > 0 {
		return fmt.Errorf("%d deliveries missing", missing)
	}
	return nil
}

func (b *loadBoard) read() {
	ready := false
	var buf bytes.Buffer // reused: a thousand boards in one process must read cheaply
	for {
		_, r, err := b.conn.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		now := time.Now()
		data := buf.Bytes()
		if ready && !bytes.Contains(data, []byte(queue.EventTicketCalled)) {
			continue // a board decodes what it needs; so does the load tool
		}
		var m feedMessage
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		if m.Type == "snapshot" && !ready {
			ready = true
			close(b.ready)
		}
		if m.Type == "event" && m.Event != nil && m.Event.Type == queue.EventTicketCalled && m.Event.Ticket != nil {
			b.mu.Lock()
			if _, seen := b.arrived[m.Event.Ticket.ID]; !seen {
				b.arrived[m.Event.Ticket.ID] = now
			}
			b.mu.Unlock()
		}
	}
}
