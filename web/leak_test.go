package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/talon-queue/talon/queue"
)

// waitUntil polls ok until it holds, failing after timeout with what
// explain says then.
func waitUntil(t *testing.T, what string, timeout time.Duration, ok func() bool, explain func() string) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > timeout {
			t.Fatalf("waiting %v for %s: %s", timeout, what, explain())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

func goroutineDump() string {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	return b.String()
}

// A day of screens coming and going leaves nothing behind on the server:
// 300 feed connections opened and closed (cleanly, abruptly, reconnecting
// with since) while calls are made, and afterwards the goroutines are back
// to where they were and the hub has no subscribers.
func TestFeedConnectionsLeaveNothingBehind(t *testing.T) {
	s := mustServer(t)
	hub := s.env.Q.Hub()
	idle := func() { http.DefaultTransport.(*http.Transport).CloseIdleConnections() }

	// Warm up, so what starts once (pools, timers) is in the baseline.
	f := s.openFeed(s.Board, 0)
	f.next()
	s.issue("tax")
	f.c.Close()
	waitUntil(t, "the warm-up feed to end", 10*time.Second, func() bool { return hub.Count("test") == 0 },
		func() string { return fmt.Sprint(hub.Count("test"), " subscribers") })
	idle()
	base := runtime.NumGoroutine()

	const total, batch = 300, 10
	peak, called := 0, ""
	for opened := 0; opened < total; opened += batch {
		feeds := make([]*feedConn, batch)
		from := make([]uint64, batch)
		for i := range feeds {
			tok := s.Board
			if i%3 == 1 {
				tok = s.APIKey // whole events
			}
			var since uint64
			if i%5 == 4 {
				since = s.env.Q.Seq("test") - 1 // a reconnect: replay, then a view
			}
			feeds[i] = s.openFeed(tok, since)
			m := feeds[i].next()
			if since != 0 {
				if m.Type != "event" || !m.Replay {
					t.Fatalf("reconnect with since: %+v", m)
				}
				for m.Type != "view" {
					m = feeds[i].next()
				}
			}
			from[i] = m.Seq
		}
		if n := hub.Count("test"); n != batch {
			t.Fatalf("%d subscribers with %d feeds open", n, batch)
		}
		peak = max(peak, runtime.NumGoroutine())
		// Calls while the feeds are open: the last one leaves its window,
		// a new visitor comes and is called.
		w := (opened/batch)%3 + 1
		if called != "" {
			var v queue.TicketView
			if st := s.as(s.APIKey).do("POST", "/api/v1/tickets/"+called+"/no-show", nil, &v); st != 200 {
				t.Fatalf("no-show: %d", st)
			}
		}
		s.issue("tax")
		called = s.callNext(w).Ticket.ID
		seq := s.env.Q.Seq("test")
		for i, f := range feeds {
			f.eventsUntil(from[i], seq)
			switch i % 3 {
			case 0: // a clean close
				f.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
				f.c.Close()
			case 1: // the network drops
				f.c.NetConn().Close()
			case 2: // the page goes away mid-stream, unread messages and all
				f.c.Close()
			}
		}
	}
	idle()
	var now int
	took := waitUntil(t, "the goroutines to return to the baseline", 30*time.Second, func() bool {
		now = runtime.NumGoroutine()
		return hub.Count("test") == 0 && hub.Count("*") == 0 && now <= base+3
	}, func() string {
		return fmt.Sprintf("%d subscribers, %d goroutines (baseline %d):\n%s", hub.Count("test"), runtime.NumGoroutine(), base, goroutineDump())
	})
	t.Logf("%d feed connections: goroutines %d before, %d at most with %d open, %d after (settled in %v)",
		total, base, peak, batch, now, took.Round(time.Millisecond))
}

// A board left on for a day stays the same size: 300 calls later its DOM
// is bounded by its rows, and its JavaScript heap after a full collection
// has not grown between call 100 and call 300.
func TestBoardStaysBoundedOverManyCalls(t *testing.T) {
	s := mustServer(t)
	b := mustBrowser(t, chromedp.Flag("enable-precise-memory-info", true))
	api := s.as(s.APIKey)
	// One column of two rows, while three windows call.
	b.do(chromedp.Navigate(s.URL + "/board?office=test&cols=1&rows=2#token=" + s.Board))
	b.wait("the board to connect", `window.talonBoard && window.talonBoard.connected`, 15*time.Second)

	called := map[int]string{} // window → ticket
	call := func(i int) {
		w := i%3 + 1
		if id := called[w]; id != "" {
			var v queue.TicketView
			if st := api.do("POST", "/api/v1/tickets/"+id+"/no-show", nil, &v); st != 200 {
				t.Fatalf("no-show: %d", st)
			}
		}
		s.issue("tax")
		called[w] = s.callNext(w).Ticket.ID
	}
	type measure struct {
		Heap  float64 `json:"heap"`
		Nodes int     `json:"nodes"`
		Calls int     `json:"calls"`
	}
	settle := func(calls int) measure {
		t.Helper()
		seq := s.env.Q.Seq("test")
		b.wait(fmt.Sprintf("the board after %d calls", calls), fmt.Sprintf(
			`window.talonBoard.seq === %d && window.talonBoard.view.seq === %d && window.talonBoard.announcements.length === %d`,
			seq, seq, min(calls, 100)), 30*time.Second)
		// Each call flashes for 10 s; the timers that end the flashes hold
		// their calls until then.
		b.wait("the flashes to end", `window.talonBoard.flashing === 0`, 20*time.Second)
		for range 3 {
			if _, err := chromedp.Call(b.ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
				t.Fatal(err)
			}
		}
		var m measure
		b.eval(`({heap: performance.memory.usedJSHeapSize, nodes: document.getElementsByTagName("*").length,
			calls: document.querySelectorAll("#calls .call").length})`, &m)
		return m
	}

	start := settle(0)
	for i := range 100 {
		call(i)
	}
	at100 := settle(100)
	for i := 100; i < 300; i++ {
		call(i)
	}
	at300 := settle(300)
	t.Logf("JS heap after GC: %.0f KiB at load, %.0f KiB after 100 calls, %.0f KiB after 300 calls; DOM elements %d, %d, %d",
		start.Heap/1024, at100.Heap/1024, at300.Heap/1024, start.Nodes, at100.Nodes, at300.Nodes)

	if at100.Calls != 2 || at300.Calls != 2 {
		t.Errorf("calls shown: %d and %d, want 2 (one column of two rows)", at100.Calls, at300.Calls)
	}
	if at300.Nodes > at100.Nodes || at100.Nodes > start.Nodes+2*4 { // a call is an li and 3 spans
		t.Errorf("DOM elements: %d at load, %d after 100 calls, %d after 300", start.Nodes, at100.Nodes, at300.Nodes)
	}
	if at100.Heap == 0 || at300.Heap-at100.Heap > 64<<10 {
		t.Errorf("JS heap after GC grew from %.0f KiB to %.0f KiB between call 100 and 300", at100.Heap/1024, at300.Heap/1024)
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("page errors:\n%v", errs)
	}
}
