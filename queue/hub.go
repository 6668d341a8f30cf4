package queue

import (
	"sync"
	"sync/atomic"
)

// Hub fans committed events out to subscribers per office. A subscriber that
// does not keep up is dropped (its channel closed) rather than slowing the
// others; it reconnects and catches up from the event log by Seq.
type Hub struct {
	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{}
	notify map[string]chan struct{}
}

// Subscription receives the events of one office ("*" for every office) in
// Seq order. C is closed when the subscription ends or falls behind.
type Subscription struct {
	C       <-chan *Event
	c       chan *Event
	office  string
	dropped atomic.Bool
	lost    chan struct{} // closed when the subscription falls behind
	hub     *Hub
}

func newHub() *Hub {
	return &Hub{subs: map[string]map[*Subscription]struct{}{}, notify: map[string]chan struct{}{}}
}

// Subscribe starts a subscription with room for buf events.
func (h *Hub) Subscribe(office string, buf int) *Subscription {
	c := make(chan *Event, buf)
	s := &Subscription{C: c, c: c, office: office, hub: h, lost: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[office] == nil {
		h.subs[office] = map[*Subscription]struct{}{}
	}
	h.subs[office][s] = struct{}{}
	return s
}

// Dropped reports whether the subscription ended because it fell behind.
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// Lost returns a channel closed when the subscription falls behind, for a
// writer that is busy elsewhere (on a slow socket) and not reading C.
func (s *Subscription) Lost() <-chan struct{} { return s.lost }

// Close ends the subscription.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s.office][s]; ok {
		delete(h.subs[s.office], s)
		close(s.c)
	}
	if len(h.subs[s.office]) == 0 {
		delete(h.subs, s.office)
	}
}

// Count returns the number of open subscriptions to office ("*" for those
// to every office): what a soak test or a health check reads to see that
// connections that went away left nothing behind.
func (h *Hub) Count(office string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[office])
}

// changed returns a channel closed at the next publish for office.
func (h *Hub) changed(office string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.notify[office]
	if c == nil {
		c = make(chan struct{})
		h.notify[office] = c
	}
	return c
}

func (h *Hub) publish(events []*Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	touched := map[string]bool{}
	for _, e := range events {
		touched[e.Office] = true
		for _, key := range []string{e.Office, "*"} {
			for s := range h.subs[key] {
				select {
				case s.c <- e:
				default:
					s.dropped.Store(true)
					delete(h.subs[key], s)
					close(s.c)
					close(s.lost)
				}
			}
		}
	}
	for office := range touched {
		if c := h.notify[office]; c != nil {
			close(c)
			delete(h.notify, office)
		}
	}
}
