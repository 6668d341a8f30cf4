package queue

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file holds the reads. They see only committed state: the world the
// writer publishes after each durable commit, under a read lock held briefly.

// view runs fn on the committed state of an office the caller may read.
func (q *Queue) view(p *Principal, perm Perm, office string, fn func(os *officeState) error) error {
	if !p.Can(perm, office) {
		if p != nil && p.Office != "" && p.Office != office {
			return E(KindForbidden, CodeOfficeForbidden)
		}
		return E(KindForbidden, CodeForbidden, "perm", string(perm))
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	os := q.r.offices[office]
	if os == nil {
		return E(KindNotFound, CodeOfficeNotFound, "office", office)
	}
	return fn(os)
}

// Offices lists the offices the caller may read.
func (q *Queue) Offices(p *Principal) []Office {
	q.mu.RLock()
	defer q.mu.RUnlock()
	var out []Office
	for id, os := range q.r.offices {
		if p.Can(PermConfigRead, id) {
			out = append(out, os.cat.cfg.Office)
		}
	}
	slices.SortFunc(out, func(a, b Office) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Catalog returns an office with its services, windows and categories.
func (q *Queue) Catalog(p *Principal, office string) (OfficeConfig, error) {
	var out OfficeConfig
	err := q.view(p, PermConfigRead, office, func(os *officeState) error {
		out = *os.cat.cfg.clone()
		return nil
	})
	return out, err
}

// WindowView is a window's configuration with its live state.
type WindowView struct {
	Window
	State        WindowState `json:"state"`
	TicketNumber string      `json:"ticket_number,omitempty" doc:"number of the ticket called or served there"`
	Waiting      int         `json:"waiting" doc:"tickets this window could call now"`
}

// Windows lists an office's windows with their state.
func (q *Queue) Windows(p *Principal, office string) ([]WindowView, error) {
	var out []WindowView
	err := q.view(p, PermConfigRead, office, func(os *officeState) error {
		for _, w := range os.cat.cfg.Windows {
			out = append(out, os.windowView(w))
		}
		return nil
	})
	return out, err
}

func (os *officeState) windowView(w Window) WindowView {
	v := WindowView{Window: w, State: *os.windowState(w.Number)}
	v.TicketNumber = os.numberOf(v.State.Ticket)
	if v.State.Ticket == "" {
		v.TicketNumber = ""
	}
	if l := os.bound[w.Number]; l != nil {
		v.Waiting += len(l.items)
	}
	for _, rs := range os.cat.serves[w.Number] {
		if sq := os.queues[rs.service]; sq != nil {
			v.Waiting += sq.n
		}
	}
	return v
}

// TicketFilter selects tickets of the current queue.
type TicketFilter struct {
	Status  []Status
	Service string
	Window  int
}

// Tickets lists the active tickets of an office (function 8), waiting ones in
// the order they would be called per service, with positions and estimates.
func (q *Queue) Tickets(p *Principal, office string, f TicketFilter) ([]TicketView, error) {
	var out []TicketView
	want := func(s Status) bool { return len(f.Status) == 0 || slices.Contains(f.Status, s) }
	err := q.view(p, PermRead, office, func(os *officeState) error {
		now := q.now()
		if want(StatusWaiting) {
			services := map[string]bool{}
			for id, sq := range os.queues {
				if sq.n > 0 {
					services[id] = true
				}
			}
			for _, l := range os.bound {
				for _, t := range l.items {
					services[t.Service] = true
				}
			}
			for svc := range services {
				if f.Service != "" && svc != f.Service {
					continue
				}
				for i, c := range os.ranking(svc, now) {
					t := c.t
					if f.Window != 0 && t.BoundWindow != f.Window && (t.BoundWindow != 0 || os.cat.rank(f.Window, t.Service) == 0) {
						continue
					}
					out = append(out, TicketView{Ticket: *t, Position: i + 1, EstimatedWait: os.estimate(svc, i)})
				}
			}
		}
		for _, t := range os.tickets {
			if t.Status == StatusWaiting || !want(t.Status) || (f.Service != "" && t.Service != f.Service) {
				continue
			}
			if f.Window != 0 && t.Window != f.Window && t.BoundWindow != f.Window {
				continue
			}
			out = append(out, TicketView{Ticket: *t})
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b TicketView) int {
		return cmp.Or(cmp.Compare(statusOrder(a.Status), statusOrder(b.Status)), cmp.Compare(a.Service, b.Service),
			cmp.Compare(a.Position, b.Position), cmpID(a.ID, b.ID))
	})
	return out, err
}

func statusOrder(s Status) int { return slices.Index(Statuses(), s) }

// Ticket returns a ticket by id (function 8 for one ticket), with its place
// while it waits. Returns ticket_not_found.
func (q *Queue) Ticket(p *Principal, id string) (TicketView, error) {
	if v, ok, err := q.activeTicket(p, func(w *world) string {
		for _, os := range w.offices {
			if os.tickets[id] != nil {
				return id
			}
		}
		return ""
	}); ok || err != nil {
		return v, err
	}
	t, err := q.store.Ticket(id)
	if errors.Is(err, ErrNotStored) || (err == nil && !p.Can(PermRead, t.Office)) {
		return TicketView{}, E(KindNotFound, CodeTicketNotFound, "id", id)
	}
	if err != nil {
		return TicketView{}, fmt.Errorf("queue: read ticket %s: %w", id, err)
	}
	return TicketView{Ticket: *t}, nil
}

// TicketByCode returns a ticket by the code of its live page, for the
// applicant who holds it. Personal data is left out. Returns ticket_not_found.
func (q *Queue) TicketByCode(code string) (TicketView, error) {
	id, _, ok := strings.Cut(code, "-")
	if !ok || id == "" {
		return TicketView{}, E(KindNotFound, CodeTicketNotFound)
	}
	same := func(t *Ticket) bool { return subtle.ConstantTimeCompare([]byte(t.Code), []byte(code)) == 1 }
	if v, ok, err := q.activeTicket(System(), func(w *world) string { return id }); ok || err != nil {
		if err != nil || !same(&v.Ticket) {
			return TicketView{}, E(KindNotFound, CodeTicketNotFound)
		}
		v.Ticket = *v.Public()
		return v, nil
	}
	t, err := q.store.Ticket(id)
	if errors.Is(err, ErrNotStored) || (err == nil && !same(t)) {
		return TicketView{}, E(KindNotFound, CodeTicketNotFound)
	}
	if err != nil {
		return TicketView{}, fmt.Errorf("queue: read ticket by code: %w", err)
	}
	return TicketView{Ticket: *t.Public()}, nil
}

func (q *Queue) activeTicket(p *Principal, find func(w *world) string) (TicketView, bool, error) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	id := find(q.r)
	if id == "" {
		return TicketView{}, false, nil
	}
	for _, os := range q.r.offices {
		t := os.tickets[id]
		if t == nil {
			continue
		}
		if !p.Can(PermRead, t.Office) {
			return TicketView{}, true, E(KindNotFound, CodeTicketNotFound, "id", id)
		}
		v := TicketView{Ticket: *t}
		if t.Status == StatusWaiting {
			now := q.now()
			ahead := os.aheadOf(t, now)
			v.Position, v.EstimatedWait = ahead+1, os.estimate(t.Service, ahead)
		}
		return v, true, nil
	}
	return TicketView{}, false, nil
}

// Peek tells whom window would call next, and why, without calling.
func (q *Queue) Peek(p *Principal, office string, window int, service string) (*Ticket, *Explanation, error) {
	var t *Ticket
	var why *Explanation
	err := q.view(p, PermOperate, office, func(os *officeState) error {
		if _, err := os.window(window); err != nil {
			return err
		}
		t, why = os.pick(window, service, q.now())
		return nil
	})
	return t, why, err
}

// Booking returns a booking by id. Returns booking_not_found.
func (q *Queue) Booking(p *Principal, id string) (Booking, error) {
	q.mu.RLock()
	b := q.r.bookings[id]
	q.mu.RUnlock()
	if b == nil {
		var err error
		b, err = q.store.Booking(id)
		if errors.Is(err, ErrNotStored) {
			return Booking{}, E(KindNotFound, CodeBookingNotFound, "id", id)
		}
		if err != nil {
			return Booking{}, fmt.Errorf("queue: read booking %s: %w", id, err)
		}
	}
	if !p.Can(PermBook, b.Office) && !p.Can(PermRead, b.Office) {
		return Booking{}, E(KindNotFound, CodeBookingNotFound, "id", id)
	}
	return *b, nil
}

// Bookings lists the bookings of an office still to come.
func (q *Queue) Bookings(p *Principal, office string) ([]Booking, error) {
	var out []Booking
	perm := PermRead
	if p.Can(PermBook, office) {
		perm = PermBook
	}
	err := q.view(p, perm, office, func(os *officeState) error {
		for _, b := range q.r.bookings {
			if b.Office == office {
				out = append(out, *b)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Booking) int { return cmp.Or(a.At.Compare(b.At), cmpID(a.ID, b.ID)) })
	return out, err
}

// Seq returns the last committed Seq of an office.
func (q *Queue) Seq(office string) uint64 {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if office == "" {
		return q.r.sysSeq
	}
	if os := q.r.offices[office]; os != nil {
		return os.seq
	}
	return 0
}

// Events returns up to limit events of an office after Seq after, in order.
// With wait > 0 and nothing new, it waits that long for the next commit (a
// long poll). The events of people and clients are in office "".
func (q *Queue) Events(ctx context.Context, p *Principal, office string, after uint64, limit int, wait time.Duration) ([]*Event, error) {
	perm := PermRead
	if office == "" {
		perm = PermUsers
	}
	if !p.Can(perm, office) || (office == "" && p.Office != "") {
		if p.Can(PermFeed, office) && office != "" {
			perm = PermFeed
		} else {
			return nil, E(KindForbidden, CodeForbidden, "perm", string(perm))
		}
	}
	if office != "" {
		q.mu.RLock()
		known := q.r.offices[office] != nil
		q.mu.RUnlock()
		if !known {
			return nil, E(KindNotFound, CodeOfficeNotFound, "office", office)
		}
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var timer <-chan time.Time
	for {
		changed := q.hub.changed(office)
		evs, err := q.events(office, after, limit)
		if err != nil || len(evs) > 0 || wait <= 0 {
			if perm == PermFeed {
				for i, e := range evs {
					evs[i] = e.Public()
				}
			}
			return evs, err
		}
		if timer == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-changed:
		case <-timer:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// events reads from the recent events in memory, or from the store.
func (q *Queue) events(office string, after uint64, limit int) ([]*Event, error) {
	q.mu.RLock()
	ring := q.ring[office]
	q.mu.RUnlock()
	if len(ring) > 0 && ring[0].Seq <= after+1 {
		i, _ := slices.BinarySearchFunc(ring, after+1, func(e *Event, s uint64) int { return cmp.Compare(e.Seq, s) })
		end := min(len(ring), i+limit)
		return slices.Clone(ring[i:end]), nil
	}
	return q.store.Events(office, after, limit)
}
