package queue

import (
	"context"
	"strconv"
	"time"
	"unicode/utf8"
)

// WindowRequest opens, closes or pauses a window.
type WindowRequest struct {
	Operator string `json:"operator,omitempty" doc:"login of the operator an integration acts for"`
	Reason   string `json:"reason,omitempty" doc:"break reason"`
}

type windowCmd struct {
	Office string
	Window int
	Status WindowStatus
	Req    WindowRequest
}

// OpenWindow seats the caller (or, for integrations, the operator named in the
// request) at a window, or brings it back from a break. Returns window_taken,
// window_not_yours and the errors of a window lookup.
func (q *Queue) OpenWindow(ctx context.Context, m Meta, office string, window int, r WindowRequest) (WindowState, error) {
	return run[WindowState](ctx, q, m, windowCmd{office, window, WindowOpen, r})
}

// CloseWindow lets the operator leave a window. Returns window_busy while a
// ticket is called or served there.
func (q *Queue) CloseWindow(ctx context.Context, m Meta, office string, window int, r WindowRequest) (WindowState, error) {
	return run[WindowState](ctx, q, m, windowCmd{office, window, WindowClosed, r})
}

// Break puts a window on a break (on) or back to work (off). Returns
// window_busy while a ticket is called or served there.
func (q *Queue) Break(ctx context.Context, m Meta, office string, window int, on bool, r WindowRequest) (WindowState, error) {
	st := WindowOpen
	if on {
		st = WindowBreak
	}
	return run[WindowState](ctx, q, m, windowCmd{office, window, st, r})
}

func (x windowCmd) run(c *txn) (any, error) {
	os, err := c.office(x.Office)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(x.Req.Reason) > 200 {
		return nil, Invalid("reason", RuleTooLong, "max", "200")
	}
	operator, err := c.operator(x.Office, x.Req.Operator)
	if err != nil {
		return nil, err
	}
	ws, err := c.atWindow(os, x.Window, x.Status != WindowClosed, operator)
	if err != nil {
		return nil, err
	}
	if x.Status != WindowOpen && ws.Ticket != "" {
		return nil, E(KindConflict, CodeWindowBusy, "window", strconv.Itoa(x.Window), "number", os.numberOf(ws.Ticket))
	}
	if ws.Status == x.Status {
		return *ws, nil
	}
	n := *ws
	n.Status, n.Since, n.Reason = x.Status, c.now, ""
	typ := EventWindowBack
	switch x.Status {
	case WindowBreak:
		typ, n.Reason = EventWindowBreak, x.Req.Reason
	case WindowClosed:
		typ, n.Operator = EventWindowClosed, ""
	}
	if ws.Status == WindowClosed {
		typ = EventWindowOpened
	}
	c.setWindow(os, &n, typ, x.Req.Reason)
	return n, nil
}

type closeDayCmd struct {
	Office string
	Reason string
}

// CloseDay ends the working day of an office early: every active ticket is
// closed (and counted as not served), windows close, and no more tickets are
// issued until the next local day.
func (q *Queue) CloseDay(ctx context.Context, m Meta, office, reason string) (DayClosed, error) {
	return run[DayClosed](ctx, q, m, closeDayCmd{office, reason})
}

// DayClosed reports a close of day.
type DayClosed struct {
	Office string `json:"office"`
	Day    string `json:"day"`
	Closed int    `json:"closed_tickets" doc:"active tickets closed unserved"`
}

func (x closeDayCmd) run(c *txn) (any, error) {
	if err := c.require(PermManage, x.Office); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(x.Reason) > 500 {
		return nil, Invalid("reason", RuleTooLong, "max", "500")
	}
	os, err := c.office(x.Office)
	if err != nil {
		return nil, err
	}
	n := c.closeTickets(os, x.Reason, "")
	c.put(runtimeChange{office: x.Office, key: "closed", closed: true})
	c.emit(x.Office, EventDayClosed, func(e *Event) { e.Reason = x.Reason })
	return DayClosed{Office: x.Office, Day: os.rt.Day, Closed: n}, nil
}

// closeTickets closes every active ticket and every window of os. The events
// belong to day when it is set (the day that ended), else to today.
func (c *txn) closeTickets(os *officeState, reason, day string) int {
	if reason == "" {
		reason = "day_closed"
	}
	n := 0
	for _, t := range os.tickets {
		nt, err := apply(t, op{act: ActClose, reason: reason}, c.now)
		if err != nil {
			continue
		}
		n++
		c.put(ticketChange{nt})
		c.emit(t.Office, EventTicketClosed, func(e *Event) {
			e.Ticket, e.Reason = nt, reason
			if day != "" {
				e.Day = day
			}
		})
	}
	for _, ws := range os.windows {
		if ws.Status != WindowClosed || ws.Ticket != "" {
			nws := &WindowState{Office: ws.Office, Number: ws.Number, Status: WindowClosed, Since: c.now}
			c.put(windowChange{nws})
			c.emit(ws.Office, EventWindowClosed, func(e *Event) {
				e.Window, e.Reason = nws, reason
				if day != "" {
					e.Day = day
				}
			})
		}
	}
	return n
}

// rollDay starts a new local day for os: what was left of the old day is
// closed, and numbering starts again.
func (c *txn) rollDay(os *officeState, day string) {
	if old := os.rt.Day; old != "" {
		c.closeTickets(os, "day_end", old)
		c.emit(os.cat.cfg.Office.ID, EventDayClosed, func(e *Event) { e.Reason = "day_end"; e.Day = old })
	}
	c.put(runtimeChange{office: os.cat.cfg.Office.ID, day: day})
}

type tickCmd struct{}

// run does the timed work: new days, postponed tickets whose time is up,
// bookings past their check-in window, expired sessions and idempotency keys.
func (tickCmd) run(c *txn) (any, error) {
	for id, os := range c.w.offices {
		if _, err := c.office(id); err != nil {
			return nil, err
		}
		for _, t := range os.postponed.items {
			if t.PostponedUntil.After(c.now) {
				break
			}
			n, err := apply(t, op{act: ActReturn}, c.now)
			if err != nil {
				continue
			}
			c.put(ticketChange{n})
			c.emit(n.Office, EventTicketReturned, func(e *Event) { e.Ticket = n })
		}
	}
	for _, b := range c.w.bookings {
		os := c.w.offices[b.Office]
		if os == nil {
			continue
		}
		late := time.Duration(os.cat.cfg.Office.Settings.CheckinLateMinutes) * time.Minute
		if c.now.After(b.At.Add(late)) {
			n := *b
			n.Status = BookingMissed
			c.put(bookingChange{&n})
			c.emit(b.Office, EventBookingCancelled, func(e *Event) { e.Booking = &n; e.Reason = "missed" })
		}
	}
	for h, cr := range c.w.creds {
		if !cr.Expires.IsZero() && !c.now.Before(cr.Expires) {
			c.put(credChange{hash: h})
		}
	}
	for k, r := range c.w.idem {
		if c.now.Sub(r.At) > 24*time.Hour {
			c.put(idemChange{expired: k})
		}
	}
	return struct{}{}, nil
}
