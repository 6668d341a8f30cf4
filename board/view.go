package board

import (
	"cmp"
	"slices"
	"time"

	"github.com/talon-queue/talon/queue"
)

// View is what a hall board or a window display shows of one office: the
// tickets called to windows (the latest call first), the state of every
// window and how many visitors wait for each service. It starts from a
// queue.Live picture and follows the office's events in Seq order through
// Apply. Its JSON form is what displays render; it holds no personal data.
// It carries the office's board layout (Board), so a change of the office's
// settings, which makes displays read a new View, reaches every open board.
//
// A View decoded from JSON renders, but cannot Apply events: it does not
// carry the waiting tickets behind its counts.
type View struct {
	Office   string     `json:"office"`
	Name     queue.Text `json:"name" doc:"office name"`
	Address  string     `json:"address,omitempty"`
	TimeZone string     `json:"time_zone" doc:"IANA time zone of the office, for the clock"`
	Seq      uint64     `json:"seq" doc:"the last event the view includes"`
	Day      string     `json:"day" doc:"the office's working day"`
	Calls    []Call     `json:"calls" doc:"tickets called to or served at a window, the latest call or recall first; at most one per window"`
	Windows  []Window   `json:"windows" doc:"every window, by number"`
	Services []Waiting  `json:"services" doc:"waiting visitors per service, in catalogue order"`
	Waiting  int        `json:"waiting" doc:"waiting visitors in all"`
	// Board is the office's layout of its hall boards; a board's address
	// may override it per screen.
	Board queue.BoardSettings `json:"board" doc:"the office's layout of its hall boards"`

	waiting map[string]string // waiting ticket id → its service
}

// Call is a ticket called to a window, shown until it leaves the window.
type Call struct {
	Ticket  string       `json:"ticket" doc:"ticket id"`
	Number  string       `json:"number" doc:"ticket number as printed, e.g. А042"`
	Window  int          `json:"window"`
	Status  queue.Status `json:"status" doc:"called (the visitor is on the way) or serving"`
	At      time.Time    `json:"at" doc:"the latest call or recall"`
	Recalls int          `json:"recalls,omitempty"`
}

// Window is the state of one window as displays show it.
type Window struct {
	Number int                `json:"number"`
	Name   queue.Text         `json:"name" doc:"label; displays show the number when empty"`
	Status queue.WindowStatus `json:"status"`
	Ticket string             `json:"ticket,omitempty" doc:"number of the ticket called or served there"`
	Active bool               `json:"active"`
}

// Waiting is how many visitors wait for one service.
type Waiting struct {
	Service string     `json:"service"`
	Name    queue.Text `json:"name"`
	Prefix  string     `json:"prefix,omitempty"`
	Waiting int        `json:"waiting"`
}

// Effect tells a display what an applied event means for it.
type Effect struct {
	// Call is set when a ticket was called or recalled: the display flashes
	// it and announces it (a recall is announced again).
	Call *Call
	// Resync is set when the view cannot follow this event on its own (the
	// office's catalogue or windows changed, or a Seq was skipped): read a new
	// queue.Live and start a new View from it. The event was not applied.
	Resync bool
}

// New returns the view of an office as live shows it.
func New(live queue.Live) *View {
	v := &View{Office: live.Office.ID, Name: live.Office.Name, Address: live.Office.Address,
		TimeZone: live.Office.TimeZone, Seq: live.Seq, Day: live.Day, Board: live.Office.Settings.Board,
		Calls: []Call{}, Windows: []Window{}, Services: []Waiting{}, waiting: map[string]string{}}
	for _, s := range live.Services {
		if !s.Group && s.Active {
			v.Services = append(v.Services, Waiting{Service: s.ID, Name: s.Name, Prefix: s.Prefix})
		}
	}
	for _, w := range live.Windows {
		v.Windows = append(v.Windows, Window{Number: w.Number, Name: w.Name, Status: w.State.Status,
			Ticket: w.TicketNumber, Active: w.Active})
	}
	slices.SortFunc(v.Windows, func(a, b Window) int { return cmp.Compare(a.Number, b.Number) })
	for i := range live.Tickets {
		t := &live.Tickets[i]
		switch {
		case t.Status == queue.StatusWaiting:
			v.setWaiting(t.ID, t.Service)
		case atWindow(t):
			v.Calls = append(v.Calls, Call{Ticket: t.ID, Number: t.Number, Window: t.Window, Status: t.Status,
				At: t.CalledAt, Recalls: t.Recalls})
		}
	}
	slices.SortStableFunc(v.Calls, func(a, b Call) int { return b.At.Compare(a.At) })
	return v
}

// atWindow reports whether t is called to or served at a window now.
func atWindow(t *queue.Ticket) bool {
	return (t.Status == queue.StatusCalled || t.Status == queue.StatusServing) && t.Window != 0
}

// Apply brings the view up to event e, the next event of its office. Events
// of other offices and events it already has (Seq not above the view's) are
// ignored, so a replay that overlaps is harmless.
func (v *View) Apply(e *queue.Event) Effect {
	if e == nil || e.Office != v.Office || e.Seq <= v.Seq {
		return Effect{}
	}
	if e.Seq != v.Seq+1 || e.Type == queue.EventConfigChanged && catalogueChange(e.Config) {
		return Effect{Resync: true}
	}
	v.Seq = e.Seq
	if e.Day > v.Day && e.Type != queue.EventDayClosed {
		v.Day = e.Day
	}
	var eff Effect
	if e.Ticket != nil {
		eff.Call = v.ticket(e)
	}
	if e.Window != nil {
		v.window(e.Window)
	}
	return eff
}

// catalogueChange reports whether a configuration change touches what the
// view shows. Displays get events without their configuration part, so a
// change they cannot see counts as one.
func catalogueChange(c *queue.ConfigEntry) bool {
	if c == nil {
		return true
	}
	switch c.Kind {
	case "user", "client":
		return false
	}
	return true
}

// ticket applies the ticket of e and returns the call to announce, if any.
func (v *View) ticket(e *queue.Event) *Call {
	t := e.Ticket
	if t.Status == queue.StatusWaiting {
		v.setWaiting(t.ID, t.Service)
	} else {
		v.setWaiting(t.ID, "")
	}
	i := slices.IndexFunc(v.Calls, func(c Call) bool { return c.Ticket == t.ID })
	if !atWindow(t) {
		if i >= 0 {
			v.Calls = slices.Delete(v.Calls, i, i+1)
		}
		return nil
	}
	c := Call{Ticket: t.ID, Number: t.Number, Window: t.Window, Status: t.Status, At: e.At, Recalls: t.Recalls}
	called := e.Type == queue.EventTicketCalled || e.Type == queue.EventTicketRecalled
	if i >= 0 && !called {
		c.At = v.Calls[i].At
	}
	// A window has one ticket: whatever was shown there before has left.
	v.Calls = slices.DeleteFunc(v.Calls, func(o Call) bool { return o.Ticket == t.ID || o.Window == t.Window })
	j := 0
	if !called {
		j, _ = slices.BinarySearchFunc(v.Calls, c.At, func(o Call, at time.Time) int { return at.Compare(o.At) })
	}
	v.Calls = slices.Insert(v.Calls, j, c)
	if called {
		return &c
	}
	return nil
}

// window applies a window's new state.
func (v *View) window(ws *queue.WindowState) {
	number := ""
	if ws.Ticket != "" {
		if i := slices.IndexFunc(v.Calls, func(c Call) bool { return c.Ticket == ws.Ticket }); i >= 0 {
			number = v.Calls[i].Number
		}
	}
	i, found := slices.BinarySearchFunc(v.Windows, ws.Number, func(w Window, n int) int { return cmp.Compare(w.Number, n) })
	if !found {
		v.Windows = slices.Insert(v.Windows, i, Window{Number: ws.Number, Active: true})
	}
	v.Windows[i].Status, v.Windows[i].Ticket = ws.Status, number
}

// setWaiting records ticket id as waiting for service, or as not waiting
// when service is empty, and keeps the counts.
func (v *View) setWaiting(id, service string) {
	if v.waiting == nil {
		v.waiting = map[string]string{}
	}
	old, was := v.waiting[id]
	if old == service {
		return
	}
	if was {
		v.count(old, -1)
		delete(v.waiting, id)
	}
	if service != "" {
		v.waiting[id] = service
		v.count(service, +1)
	}
}

func (v *View) count(service string, d int) {
	i := slices.IndexFunc(v.Services, func(s Waiting) bool { return s.Service == service })
	if i < 0 {
		v.Services = append(v.Services, Waiting{Service: service})
		i = len(v.Services) - 1
	}
	v.Services[i].Waiting += d
	v.Waiting += d
}

// Latest returns the n latest calls (all when n ≤ 0).
func (v *View) Latest(n int) []Call {
	if n <= 0 || n > len(v.Calls) {
		n = len(v.Calls)
	}
	return slices.Clone(v.Calls[:n])
}
