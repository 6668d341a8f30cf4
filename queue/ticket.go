package queue

import (
	"slices"
	"strings"
	"time"
)

// Status is where a ticket is in its life.
type Status string

// The ticket statuses. Waiting, Called, Serving and Postponed are active; the
// rest are final.
const (
	StatusWaiting   Status = "waiting"   // in a queue, not yet called
	StatusCalled    Status = "called"    // called to a window, the visitor is on the way
	StatusServing   Status = "serving"   // being served at a window
	StatusPostponed Status = "postponed" // set aside until PostponedUntil, then back in the queue
	StatusDone      Status = "done"      // served
	StatusNoShow    Status = "no_show"   // called and did not come
	StatusCancelled Status = "cancelled" // withdrawn
	StatusClosed    Status = "closed"    // still active when the day closed
)

// Statuses lists every status.
func Statuses() []Status {
	return []Status{StatusWaiting, StatusCalled, StatusServing, StatusPostponed,
		StatusDone, StatusNoShow, StatusCancelled, StatusClosed}
}

// Active reports whether the status is not final.
func (s Status) Active() bool {
	return s == StatusWaiting || s == StatusCalled || s == StatusServing || s == StatusPostponed
}

// Source is where a ticket came from.
type Source string

// The ticket sources.
const (
	SourceKiosk    Source = "kiosk"
	SourceOperator Source = "operator"
	SourceAPI      Source = "api"
	SourceBooking  Source = "booking"
)

// Hop is one redirect in a ticket's trail.
type Hop struct {
	At          time.Time `json:"at"`
	FromService string    `json:"from_service"`
	FromWindow  int       `json:"from_window,omitempty"`
	ToService   string    `json:"to_service"`
	ToWindow    int       `json:"to_window,omitempty"`
	By          string    `json:"by" doc:"id of who redirected"`
	KeepPlace   bool      `json:"keep_place,omitempty"`
	Return      bool      `json:"return,omitempty" doc:"the visitor comes back to the previous service afterwards"`
	Reason      string    `json:"reason,omitempty"`
}

// Step is one finished stage of a visit.
type Step struct {
	Service    string    `json:"service"`
	Window     int       `json:"window"`
	Operator   string    `json:"operator,omitempty"`
	Result     string    `json:"result,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	QueuedAt   time.Time `json:"queued_at"`
	CalledAt   time.Time `json:"called_at"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// Ticket is one visitor's queue ticket ("талон"). A ticket is a value: every
// change makes a new one, so a *Ticket handed out is never mutated.
type Ticket struct {
	ID       string  `json:"id" doc:"numeric id, also printed as the ticket barcode"`
	Office   string  `json:"office"`
	Number   string  `json:"number" doc:"prefix and counter, e.g. А042; unique per office and day"`
	Day      string  `json:"day" doc:"local date the ticket belongs to"`
	Service  string  `json:"service" doc:"the service the visitor is queued for now"`
	Purpose  Purpose `json:"purpose,omitempty"`
	Category string  `json:"category,omitempty" doc:"priority category"`
	Source   Source  `json:"source"`
	CaseID   string  `json:"case_id,omitempty" doc:"case number in the centre's case system"`
	Phone    string  `json:"phone,omitempty"`
	Code     string  `json:"code,omitempty" doc:"unguessable code of the applicant's live ticket page"`
	Booking  string  `json:"booking,omitempty" doc:"id of the pre-booking this ticket checked in"`
	IssuedBy string  `json:"issued_by,omitempty" doc:"id of the person, device or API client that issued the ticket"`
	Printed  bool    `json:"printed,omitempty" doc:"a kiosk printer confirmed the paper ticket (see event ticket.printed)"`
	Status   Status  `json:"status"`

	AppointmentAt  time.Time `json:"appointment_at,omitzero"`
	IssuedAt       time.Time `json:"issued_at"`
	QueuedAt       time.Time `json:"queued_at" doc:"when the ticket entered its current queue (for wait times)"`
	QueueKey       time.Time `json:"queue_key" doc:"the place in the queue; a redirect that keeps the place keeps it"`
	CalledAt       time.Time `json:"called_at,omitzero"`
	StartedAt      time.Time `json:"started_at,omitzero"`
	PostponedUntil time.Time `json:"postponed_until,omitzero"`
	ClosedAt       time.Time `json:"closed_at,omitzero" doc:"when the ticket reached a final status"`

	Window      int    `json:"window,omitempty" doc:"window it is called to or served at"`
	Operator    string `json:"operator,omitempty"`
	Recalls     int    `json:"recalls,omitempty"`
	BoundWindow int    `json:"bound_window,omitempty" doc:"only this window may call the ticket"`

	Steps   []string `json:"steps,omitempty" doc:"services still to visit after the current one"`
	Returns []string `json:"returns,omitempty" doc:"services to come back to after a redirect, last first"`
	Trail   []Hop    `json:"trail,omitempty" doc:"redirects, oldest first"`
	History []Step   `json:"history,omitempty" doc:"finished steps of the visit"`
	Reason  string   `json:"reason,omitempty" doc:"why it was cancelled or closed"`
}

// clone returns a copy that may be changed without touching t. Slices are
// copied when they are appended to, so a shallow copy is enough here.
func (t *Ticket) clone() *Ticket {
	c := *t
	return &c
}

// Public returns the ticket without personal data and secrets, for boards and
// other displays.
func (t *Ticket) Public() *Ticket {
	c := *t
	c.Phone, c.CaseID, c.Code, c.Reason = "", "", "", ""
	// Operators' free text may name the visitor: it stays with staff.
	if len(c.History) > 0 {
		c.History = slices.Clone(c.History)
		for i := range c.History {
			c.History[i].Comment = ""
		}
	}
	if len(c.Trail) > 0 {
		c.Trail = slices.Clone(c.Trail)
		for i := range c.Trail {
			c.Trail[i].Reason = ""
		}
	}
	return &c
}

// canonNumber folds a ticket number for comparison: case, the Latin letters
// that look Cyrillic (a typed "A042" finds "А042"), and leading zeros.
func canonNumber(s string) string {
	var b strings.Builder
	s = strings.TrimSpace(strings.ToUpper(s))
	digits := -1
	for i, r := range s {
		if r >= '0' && r <= '9' {
			digits = i
			break
		}
		switch r {
		case 'A':
			r = 'А'
		case 'B':
			r = 'В'
		case 'E':
			r = 'Е'
		case 'K':
			r = 'К'
		case 'M':
			r = 'М'
		case 'H':
			r = 'Н'
		case 'O':
			r = 'О'
		case 'P':
			r = 'Р'
		case 'C':
			r = 'С'
		case 'T':
			r = 'Т'
		case 'X':
			r = 'Х'
		case 'Y':
			r = 'У'
		case '-', ' ':
			continue
		}
		b.WriteRune(r)
	}
	if digits >= 0 {
		d := strings.TrimLeft(s[digits:], "0")
		if d == "" {
			d = "0"
		}
		b.WriteString(d)
	}
	return b.String()
}
