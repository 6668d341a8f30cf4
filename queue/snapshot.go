package queue

import (
	"slices"
)

// Live is a consistent picture of one office at one Seq: what a display or a
// panel starts from before it follows the event feed after Seq. Everything in
// it was read under one lock, so it holds exactly the events up to Seq.
type Live struct {
	Seq      uint64       `json:"seq" doc:"the last event this picture includes"`
	Day      string       `json:"day" doc:"the office's working day"`
	Closed   bool         `json:"closed" doc:"the day was closed early"`
	Office   Office       `json:"office"`
	Services []Service    `json:"services" doc:"the service catalogue"`
	Windows  []WindowView `json:"windows"`
	Tickets  []Ticket     `json:"tickets" doc:"every active ticket (waiting, called, serving, postponed), by id"`
}

// Live returns the office as it stands now, with the Seq it stands at.
// Callers with tickets:read get the tickets whole; display devices that hold
// only feed:read get them without personal data (Ticket.Public), as they get
// events. Returns forbidden, office_forbidden or office_not_found.
func (q *Queue) Live(p *Principal, office string) (Live, error) {
	perm, public := PermRead, false
	if !p.Can(PermRead, office) && p.Can(PermFeed, office) {
		perm, public = PermFeed, true
	}
	var out Live
	err := q.view(p, perm, office, func(os *officeState) error {
		cfg := os.cat.cfg.clone()
		out = Live{Seq: os.seq, Day: os.rt.Day, Closed: os.rt.Closed, Office: cfg.Office, Services: cfg.Services}
		for _, w := range cfg.Windows {
			out.Windows = append(out.Windows, os.windowView(w))
		}
		out.Tickets = make([]Ticket, 0, len(os.tickets))
		for _, t := range os.tickets {
			if public {
				t = t.Public()
			}
			out.Tickets = append(out.Tickets, *t)
		}
		return nil
	})
	slices.SortFunc(out.Tickets, func(a, b Ticket) int { return cmpID(a.ID, b.ID) })
	return out, err
}
