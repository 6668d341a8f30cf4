package queue

import (
	"encoding/json"
	"time"
)

// EventType names a change of state.
type EventType string

// The event types. Ticket events carry the ticket as it is after the change.
const (
	EventTicketIssued     EventType = "ticket.issued"
	EventTicketCalled     EventType = "ticket.called"
	EventTicketRecalled   EventType = "ticket.recalled"
	EventTicketStarted    EventType = "ticket.started"
	EventTicketPostponed  EventType = "ticket.postponed"
	EventTicketReturned   EventType = "ticket.returned" // back from postponed into the queue
	EventTicketFinished   EventType = "ticket.finished" // one step done; the ticket may go on to the next
	EventTicketRedirected EventType = "ticket.redirected"
	EventTicketBound      EventType = "ticket.bound"
	EventTicketNoShow     EventType = "ticket.no_show"
	EventTicketCancelled  EventType = "ticket.cancelled"
	EventTicketClosed     EventType = "ticket.closed"  // still active at the close of day
	EventTicketPrinted    EventType = "ticket.printed" // a kiosk printer printed the ticket, or failed to (Event.Print)

	EventWindowOpened EventType = "window.opened"
	EventWindowClosed EventType = "window.closed"
	EventWindowBreak  EventType = "window.break"
	EventWindowBack   EventType = "window.back"

	EventDayClosed EventType = "day.closed"

	EventBookingCreated   EventType = "booking.created"
	EventBookingCancelled EventType = "booking.cancelled"
	EventBookingUsed      EventType = "booking.checked_in"

	EventConfigChanged EventType = "config.changed"

	EventLogin  EventType = "auth.login"
	EventLogout EventType = "auth.logout"
)

// EventTypes lists every event type.
func EventTypes() []EventType {
	return []EventType{EventTicketIssued, EventTicketCalled, EventTicketRecalled, EventTicketStarted,
		EventTicketPostponed, EventTicketReturned, EventTicketFinished, EventTicketRedirected,
		EventTicketBound, EventTicketNoShow, EventTicketCancelled, EventTicketClosed, EventTicketPrinted,
		EventWindowOpened, EventWindowClosed, EventWindowBreak, EventWindowBack, EventDayClosed,
		EventBookingCreated, EventBookingCancelled, EventBookingUsed, EventConfigChanged,
		EventLogin, EventLogout}
}

// Event is one committed change, numbered by a gap-free per-office Seq. The
// event log is the audit journal and the source for boards, feeds and reports.
type Event struct {
	Seq     uint64       `json:"seq"`
	Office  string       `json:"office" doc:"office id; empty for changes to people and clients of every office"`
	Type    EventType    `json:"type"`
	At      time.Time    `json:"at"`
	Day     string       `json:"day" doc:"the office's local date of the event"`
	Actor   Actor        `json:"actor"`
	Ticket  *Ticket      `json:"ticket,omitempty"`
	Window  *WindowState `json:"window,omitempty"`
	Booking *Booking     `json:"booking,omitempty"`
	Why     *Explanation `json:"why,omitempty" doc:"why call-next chose this ticket"`
	Config  *ConfigEntry `json:"config,omitempty"`
	Print   *PrintReport `json:"print,omitempty" doc:"the outcome of printing the ticket (ticket.printed)"`
	Reason  string       `json:"reason,omitempty"`
}

// Public returns the event without personal data and secrets, for displays.
func (e *Event) Public() *Event {
	c := *e
	if c.Ticket != nil {
		c.Ticket = c.Ticket.Public()
	}
	if c.Booking != nil {
		b := *c.Booking
		b.Phone, b.Name, b.CaseID, b.Code = "", "", "", ""
		c.Booking = &b
	}
	c.Actor.IP = ""
	if c.Type == EventLogin || c.Type == EventLogout {
		// When a member of staff comes and goes is not for the hall: the
		// event stays (Seq has no gaps) without saying who, not even by
		// id (the id of a call's actor is shown with the name).
		c.Actor = Actor{Kind: c.Actor.Kind}
	}
	c.Config = nil
	if !systemReason(c.Reason) {
		c.Reason = "" // an operator's words may name the visitor
	}
	return &c
}

// ConfigEntry is a changed piece of configuration, as it is after the change.
type ConfigEntry struct {
	Kind string          `json:"kind" doc:"office, service, window, category, user, client or document"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Explanation says why call-next chose a ticket.
type Explanation struct {
	Rule    string      `json:"rule" doc:"bound (bound to this window), score (highest score) or number (called by number)"`
	Score   float64     `json:"score"`
	Factors []Factor    `json:"factors"`
	Others  []Candidate `json:"others,omitempty" doc:"the next best candidates"`
}

// Factor is one term of a selection score, in minutes of waiting.
type Factor struct {
	Name   string  `json:"name" doc:"waited, category, rank, over_norm, booking or bound"`
	Value  string  `json:"value" doc:"the input, e.g. minutes waited or category id"`
	Points float64 `json:"points"`
}

// Candidate is a ticket that was considered and not chosen.
type Candidate struct {
	Ticket string  `json:"ticket"`
	Number string  `json:"number"`
	Score  float64 `json:"score"`
}

// systemReason reports whether a reason is one of the engine's own codes
// (day_end, missed…) rather than text a person typed.
func systemReason(r string) bool {
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}
