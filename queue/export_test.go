package queue

import (
	"fmt"
	"reflect"
)

// SetPublishing makes the publisher call f as it takes each committed batch;
// set it before the first command.
func (q *Queue) SetPublishing(f func()) { q.publishing = f }

// SetWaiting makes the writer call f when, after a slow commit, it starts
// waiting for that commit's callers to come back; set it while no command
// is running.
func (q *Queue) SetWaiting(f func()) { q.waiting = f }

// CheckInvariants checks the committed state against the rules that must
// always hold, and against a state loaded afresh from the store: what readers
// see is exactly what is on disk.
func (q *Queue) CheckInvariants() error {
	snap, err := q.store.Load()
	if err != nil {
		return err
	}
	disk, err := worldFrom(snap)
	if err != nil {
		return err
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if err := q.r.check(); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	if err := disk.check(); err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	for id, os := range q.r.offices {
		d := disk.offices[id]
		if d == nil {
			return fmt.Errorf("office %s not on disk", id)
		}
		if !reflect.DeepEqual(os.tickets, d.tickets) {
			return fmt.Errorf("office %s: tickets in memory and on disk differ", id)
		}
		if os.seq != d.seq {
			return fmt.Errorf("office %s: seq %d in memory, %d on disk", id, os.seq, d.seq)
		}
		if !reflect.DeepEqual(os.rt, d.rt) {
			return fmt.Errorf("office %s: runtime %+v in memory, %+v on disk", id, os.rt, d.rt)
		}
		for _, t := range os.tickets {
			if t.Status != StatusWaiting {
				continue
			}
			// aheadOf counts by binary search; the full ranking must agree.
			me, _ := os.score(t, 1, q.now(), false)
			want := 0
			for _, c := range os.ranking(t.Service, q.now()) {
				if c.t.ID != t.ID && better(c, candidate{t: t, score: me}) < 0 {
					want++
				}
			}
			if t.BoundWindow == 0 {
				if got := os.aheadOf(t, q.now()); got != want {
					return fmt.Errorf("ticket %s: %d ahead by search, %d by ranking", t.Number, got, want)
				}
			}
		}
		for n, ws := range os.windows {
			if !reflect.DeepEqual(ws, d.windows[n]) {
				return fmt.Errorf("office %s window %d: %+v in memory, %+v on disk", id, n, ws, d.windows[n])
			}
		}
	}
	if q.r.nextID != disk.nextID {
		return fmt.Errorf("next id %d in memory, %d on disk", q.r.nextID, disk.nextID)
	}
	return nil
}

func (w *world) check() error {
	for id, os := range w.offices {
		numbers := map[string]string{}
		indexed := 0
		for _, sq := range os.queues {
			n := 0
			for k, l := range sq.buckets {
				for i, t := range l.items {
					if t.Status != StatusWaiting || t.BoundWindow != 0 || t.Category != k.category || os.tickets[t.ID] != t {
						return fmt.Errorf("%s: ticket %s misfiled in a queue", id, t.Number)
					}
					if i > 0 && byPlace(l.items[i-1], t) >= 0 {
						return fmt.Errorf("%s: queue out of order at %s", id, t.Number)
					}
					n++
				}
			}
			if n != sq.n {
				return fmt.Errorf("%s: queue count %d, holds %d", id, sq.n, n)
			}
			indexed += n
		}
		for w, l := range os.bound {
			for _, t := range l.items {
				if t.Status != StatusWaiting || t.BoundWindow != w || os.tickets[t.ID] != t {
					return fmt.Errorf("%s: ticket %s misfiled at window %d", id, t.Number, w)
				}
				indexed++
			}
		}
		for _, t := range os.postponed.items {
			if t.Status != StatusPostponed || os.tickets[t.ID] != t {
				return fmt.Errorf("%s: ticket %s misfiled as postponed", id, t.Number)
			}
			indexed++
		}
		busy := map[int]string{}
		for tid, t := range os.tickets {
			if !t.Status.Active() || t.ID != tid || t.Office != id {
				return fmt.Errorf("%s: ticket %s (%s) kept as active", id, t.Number, t.Status)
			}
			if other, dup := numbers[t.Number]; dup {
				return fmt.Errorf("%s: number %s held by %s and %s", id, t.Number, other, t.ID)
			}
			numbers[t.Number] = t.ID
			if os.byNumber.get(t.Number) != t.ID {
				return fmt.Errorf("%s: number index lacks %s", id, t.Number)
			}
			switch t.Status {
			case StatusCalled, StatusServing:
				if t.Window == 0 {
					return fmt.Errorf("%s: %s %s at no window", id, t.Status, t.Number)
				}
				if prev, ok := busy[t.Window]; ok {
					return fmt.Errorf("%s: window %d has %s and %s", id, t.Window, prev, t.ID)
				}
				busy[t.Window] = t.ID
				if ws := os.windows[t.Window]; ws == nil || ws.Ticket != t.ID {
					return fmt.Errorf("%s: window %d does not show %s", id, t.Window, t.Number)
				}
			case StatusWaiting, StatusPostponed:
				if t.Window != 0 {
					return fmt.Errorf("%s: %s %s keeps window %d", id, t.Status, t.Number, t.Window)
				}
			}
		}
		for n, ws := range os.windows {
			if ws.Ticket != "" && busy[n] != ws.Ticket {
				return fmt.Errorf("%s: window %d shows %s, which is not called there", id, n, ws.Ticket)
			}
			if ws.Status == WindowClosed && ws.Operator != "" {
				return fmt.Errorf("%s: closed window %d has operator %s", id, n, ws.Operator)
			}
		}
		active := 0
		for _, t := range os.tickets {
			if t.Status == StatusWaiting || t.Status == StatusPostponed {
				active++
			}
		}
		if active != indexed {
			return fmt.Errorf("%s: %d waiting/postponed tickets, %d indexed", id, active, indexed)
		}
	}
	return nil
}
