package queue

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// score rates a waiting ticket for a window that serves its service at rank:
// the minutes it has waited, plus minutes granted for its priority category and
// for an appointment that has come, minus minutes for a lower rank, plus extra
// weight for every minute beyond the wait norm, so that nobody starves.
// With explain set it also returns the terms of the score.
func (os *officeState) score(t *Ticket, rank int, now time.Time, explain bool) (float64, []Factor) {
	s := &os.cat.cfg.Office.Settings
	var f []Factor
	add := func(name string, value func() string, p float64) {
		if explain {
			f = append(f, Factor{Name: name, Value: value(), Points: round1(p)})
		}
	}
	waited := now.Sub(t.QueueKey).Minutes()
	total := waited
	add("waited", func() string { return strconv.FormatFloat(waited, 'f', 1, 64) }, waited)
	if lv := os.cat.level(t.Category); lv > 0 && s.CategoryWeight > 0 {
		p := float64(lv * s.CategoryWeight)
		add("category", func() string { return t.Category }, p)
		total += p
	}
	if rank > 1 && s.RankWeight > 0 {
		p := -float64((rank - 1) * s.RankWeight)
		add("rank", func() string { return strconv.Itoa(rank) }, p)
		total += p
	}
	if over := waited - float64(s.WaitNormMinutes); over > 0 && s.OverNormFactor > 0 {
		p := over * s.OverNormFactor
		add("over_norm", func() string { return strconv.FormatFloat(over, 'f', 1, 64) }, p)
		total += p
	}
	if !t.AppointmentAt.IsZero() && !now.Before(t.AppointmentAt) && s.BookingWeight > 0 {
		p := float64(s.BookingWeight)
		add("booking", func() string { return t.AppointmentAt.Format(time.RFC3339) }, p)
		total += p
	}
	return round1(total), f
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

type candidate struct {
	t       *Ticket
	score   float64
	factors []Factor
}

func better(a, b candidate) int {
	return cmp.Or(cmp.Compare(b.score, a.score), byPlace(a.t, b.t))
}

// pick chooses the ticket window w should call next: a ticket bound to the
// window first, else the best-scoring head among the services the window
// serves (only service, when set). It returns nil when nobody waits.
func (os *officeState) pick(w int, service string, now time.Time) (*Ticket, *Explanation) {
	var cands []candidate
	if l := os.bound[w]; l != nil {
		for _, t := range l.items {
			if service != "" && t.Service != service {
				continue
			}
			r := max(os.cat.rank(w, t.Service), 1)
			s, f := os.score(t, r, now, true)
			cands = append(cands, candidate{t, s, f})
		}
		if len(cands) > 0 {
			slices.SortFunc(cands, better)
			c := cands[0]
			f := append([]Factor{{Name: "bound", Value: strconv.Itoa(w)}}, c.factors...)
			return c.t, &Explanation{Rule: "bound", Score: c.score, Factors: f, Others: others(cands[1:])}
		}
	}
	for _, rs := range os.cat.serves[w] {
		if service != "" && rs.service != service {
			continue
		}
		q := os.queues[rs.service]
		if q == nil {
			continue
		}
		for _, l := range q.buckets {
			if h := l.head(); h != nil {
				s, f := os.score(h, rs.rank, now, true)
				cands = append(cands, candidate{h, s, f})
			}
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	slices.SortFunc(cands, better)
	c := cands[0]
	return c.t, &Explanation{Rule: "score", Score: c.score, Factors: c.factors, Others: others(cands[1:])}
}

func others(cs []candidate) []Candidate {
	out := make([]Candidate, 0, min(3, len(cs)))
	for _, c := range cs[:min(3, len(cs))] {
		out = append(out, Candidate{Ticket: c.t.ID, Number: c.t.Number, Score: c.score})
	}
	return out
}

// Placed is a waiting ticket with its place in the queue of its service.
type Placed struct {
	Ahead       int `json:"ahead" doc:"visitors to be called before this ticket"`
	WaitMinutes int `json:"estimated_wait_minutes" doc:"estimated minutes until the call"`
}

// ranking returns the waiting tickets of a service (unbound, and bound to a
// window), best first, as a window of rank 1 would call them.
func (os *officeState) ranking(service string, now time.Time) []candidate {
	var cs []candidate
	if q := os.queues[service]; q != nil {
		for _, l := range q.buckets {
			for _, t := range l.items {
				s, _ := os.score(t, 1, now, false)
				cs = append(cs, candidate{t: t, score: s})
			}
		}
	}
	for _, l := range os.bound {
		for _, t := range l.items {
			if t.Service == service {
				s, _ := os.score(t, 1, now, false)
				cs = append(cs, candidate{t: t, score: s + 1e6}) // bound tickets go first at their window
			}
		}
	}
	slices.SortFunc(cs, better)
	return cs
}

func (os *officeState) estimate(service string, ahead int) int {
	per := os.avg[service]
	if per == 0 {
		if s := os.cat.services[service]; s != nil {
			per = float64(s.Norm() * 60)
		} else {
			per = 600
		}
	}
	open := 0
	for _, n := range os.cat.servedBy[service] {
		if ws := os.windows[n]; ws != nil && ws.Status != WindowClosed {
			open++
		}
	}
	if open == 0 {
		open = max(1, len(os.cat.servedBy[service])/2)
	}
	return int(math.Ceil(float64(ahead) * per / float64(open) / 60))
}

// String renders the explanation for logs and tests.
func (e *Explanation) String() string {
	s := fmt.Sprintf("%s %.1f", e.Rule, e.Score)
	for _, f := range e.Factors {
		s += fmt.Sprintf(" %s(%s)=%.1f", f.Name, f.Value, f.Points)
	}
	return s
}
