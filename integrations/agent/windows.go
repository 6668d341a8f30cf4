package agent

import (
	"context"
	"maps"
	"slices"

	"github.com/talon-queue/talon/integrations/leddisplay"
	"github.com/talon-queue/talon/queue"
)

// window is what one window's displays show.
type window struct {
	number   int
	displays []*leddisplay.Display

	ticket   string // id of the ticket shown, "" when blank
	text     string // its number as printed
	blinking bool
	gen      int // bumped by every call, so a stale blink timer does nothing
}

// steadyAt asks for window's number to stop blinking, if it is still call gen.
type steadyAt struct {
	window int
	gen    int
}

// apply updates the displays for one server message.
func (a *agent) apply(ctx context.Context, m message) {
	switch m.kind {
	case msgSnapshot, msgView: // a view after events agrees with them; it mends what they could not say
		a.seq = m.seq
		for _, n := range slices.Sorted(maps.Keys(a.windows)) { // in order: frames on a line follow it
			w := a.windows[n]
			now, ok := m.windows[n]
			switch {
			case !ok || now.ticket == "" || now.number == "" || now.status == queue.WindowClosed:
				a.clear(w)
			case now.ticket == w.ticket:
				// already shown (perhaps still blinking): leave it
			default:
				a.show(ctx, w, now.ticket, now.number, false)
			}
		}
	case msgEvent:
		e := m.event
		if e.Seq != 0 && e.Seq <= a.seq {
			return // seen before the reconnect
		}
		a.seq = max(a.seq, e.Seq)
		a.event(ctx, e, m.blink)
	default:
		a.log.Debug("message type ignored", "type", m.kind)
	}
}

// event applies one queue event; blink says whether a call flashes (a call
// replayed long after the fact shows steady).
func (a *agent) event(ctx context.Context, e *queue.Event, blink bool) {
	t := e.Ticket
	switch e.Type {
	case queue.EventTicketCalled, queue.EventTicketRecalled:
		if t == nil {
			return
		}
		n := t.Window
		if n == 0 && e.Window != nil {
			n = e.Window.Number
		}
		for _, w := range a.windows { // a ticket is at one window at a time
			if w.ticket == t.ID && w.number != n {
				a.clear(w)
			}
		}
		if w := a.windows[n]; w != nil {
			a.show(ctx, w, t.ID, t.Number, blink)
		}
	case queue.EventTicketStarted: // the visitor has come: stop blinking
		if t == nil {
			return
		}
		for _, w := range a.windows {
			if w.ticket == t.ID && w.blinking {
				a.makeSteady(steadyAt{window: w.number, gen: w.gen})
			}
		}
	case queue.EventTicketFinished, queue.EventTicketNoShow, queue.EventTicketCancelled,
		queue.EventTicketRedirected, queue.EventTicketPostponed, queue.EventTicketClosed:
		if t == nil {
			return
		}
		for _, w := range a.windows {
			if w.ticket == t.ID {
				a.clear(w)
			}
		}
	case queue.EventWindowClosed, queue.EventWindowBreak:
		if e.Window == nil {
			return
		}
		if w := a.windows[e.Window.Number]; w != nil {
			a.clear(w)
		}
	case queue.EventDayClosed:
		for _, n := range slices.Sorted(maps.Keys(a.windows)) {
			a.clear(a.windows[n])
		}
	}
}

// show puts a ticket on w: blinking for blinkFor after a call, steady for a
// ticket found in a snapshot.
func (a *agent) show(ctx context.Context, w *window, ticket, number string, blink bool) {
	w.ticket, w.text = ticket, number
	w.gen++
	w.blinking = blink
	if !blink {
		a.set(w, leddisplay.Show, number)
		return
	}
	a.set(w, leddisplay.Blink, number)
	a.timer(ctx, w)
}

func (a *agent) clear(w *window) {
	w.ticket, w.text, w.blinking = "", "", false
	w.gen++
	a.set(w, leddisplay.Clear, "")
}
