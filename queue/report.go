package queue

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// ReportBy is how a queue report groups its rows.
type ReportBy string

// The groupings of a queue report.
const (
	ByService  ReportBy = "service"
	ByWindow   ReportBy = "window"
	ByOperator ReportBy = "operator"
	ByHour     ReportBy = "hour"
	ByDay      ReportBy = "day"
)

// Report is the queue statistics of an office for a period (function 11),
// computed from the event log with second precision.
type Report struct {
	Office      string      `json:"office"`
	From        string      `json:"from" doc:"first local date"`
	To          string      `json:"to" doc:"last local date"`
	By          ReportBy    `json:"by"`
	NormMinutes int         `json:"norm_minutes" doc:"the wait norm the within_norm share is measured against"`
	Rows        []ReportRow `json:"rows"`
	Total       ReportRow   `json:"total"`
}

// ReportRow is one group of a report. Times are in minutes.
type ReportRow struct {
	Key        string  `json:"key"`
	Label      string  `json:"label"`
	Issued     int     `json:"issued" doc:"tickets issued (by service, hour and day only)"`
	Called     int     `json:"called" doc:"calls, each a wait that ended"`
	Served     int     `json:"served" doc:"steps finished"`
	NoShow     int     `json:"no_show"`
	Cancelled  int     `json:"cancelled"`
	Closed     int     `json:"closed" doc:"tickets still active at the close of day"`
	Redirected int     `json:"redirected"`
	Postponed  int     `json:"postponed"`
	WaitAvg    float64 `json:"wait_avg" doc:"minutes from joining the queue to the call"`
	WaitP50    float64 `json:"wait_p50" doc:"minutes"`
	WaitP90    float64 `json:"wait_p90" doc:"minutes"`
	WaitMax    float64 `json:"wait_max" doc:"minutes"`
	WithinNorm float64 `json:"within_norm_percent" doc:"share of calls made within the wait norm, percent"`
	ServeAvg   float64 `json:"serve_avg" doc:"minutes from the start of service (or the call) to the finish"`
	ServeP50   float64 `json:"serve_p50" doc:"minutes"`
	ServeP90   float64 `json:"serve_p90" doc:"minutes"`
	ServeMax   float64 `json:"serve_max" doc:"minutes"`

	waits, serves []float64
}

// Report computes the statistics of office for the local dates from..to
// (inclusive, at most 366 days) grouped by by.
func (q *Queue) Report(p *Principal, office, from, to string, by ReportBy) (Report, error) {
	if !p.Can(PermReports, office) {
		return Report{}, E(KindForbidden, CodeForbidden, "perm", string(PermReports))
	}
	if from == "" {
		return Report{}, Invalid("from", RuleRequired)
	}
	if to == "" {
		return Report{}, Invalid("to", RuleRequired)
	}
	f, err1 := time.Parse(time.DateOnly, from)
	if err1 != nil {
		return Report{}, Invalid("from", RuleFormat)
	}
	t, err2 := time.Parse(time.DateOnly, to)
	if err2 != nil {
		return Report{}, Invalid("to", RuleFormat)
	}
	if t.Before(f) || t.Sub(f) > 366*24*time.Hour {
		return Report{}, Invalid("to", RuleRange, "min", from, "max", f.AddDate(0, 0, 366).Format(time.DateOnly))
	}
	switch by {
	case ByService, ByWindow, ByOperator, ByHour, ByDay:
	case "":
		by = ByService
	default:
		return Report{}, Invalid("by", RuleValue)
	}
	q.mu.RLock()
	os := q.r.offices[office]
	var cat *catalog
	names := map[string]string{}
	if os != nil {
		cat = os.cat
		for id, u := range q.r.users {
			names[id] = u.User.Name
		}
	}
	q.mu.RUnlock()
	if cat == nil {
		return Report{}, E(KindNotFound, CodeOfficeNotFound, "office", office)
	}
	rep := Report{Office: office, From: from, To: to, By: by, NormMinutes: cat.cfg.Office.Settings.WaitNormMinutes}
	rows := map[string]*ReportRow{}
	total := &ReportRow{Key: "total"}
	row := func(key string) *ReportRow {
		if key == "" {
			return nil
		}
		r := rows[key]
		if r == nil {
			r = &ReportRow{Key: key, Label: label(cat, names, by, key)}
			rows[key] = r
		}
		return r
	}
	first, ok, err := q.store.FirstSeq(office, from)
	if err != nil {
		return Report{}, fmt.Errorf("queue: report: %w", err)
	}
	for after := first - 1; ok; {
		evs, err := q.store.Events(office, after, 1000)
		if err != nil {
			return Report{}, fmt.Errorf("queue: report: %w", err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.Day > to {
				ok = false
				break
			}
			count(e, cat, by, row, total)
		}
		after = evs[len(evs)-1].Seq
	}
	norm := float64(rep.NormMinutes)
	for _, r := range rows {
		r.finish(norm)
		rep.Rows = append(rep.Rows, *r)
	}
	total.finish(norm)
	rep.Total = *total
	slices.SortFunc(rep.Rows, func(a, b ReportRow) int {
		if by == ByWindow {
			x, _ := strconv.Atoi(a.Key)
			y, _ := strconv.Atoi(b.Key)
			return cmp.Compare(x, y)
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if rep.Rows == nil {
		rep.Rows = []ReportRow{}
	}
	return rep, nil
}

// count folds one event into the rows it belongs to.
func count(e *Event, cat *catalog, by ReportBy, row func(string) *ReportRow, total *ReportRow) {
	t := e.Ticket
	if t == nil {
		return
	}
	keyOf := func(service string, window int, operator string) string {
		switch by {
		case ByService:
			return service
		case ByWindow:
			if window == 0 {
				return ""
			}
			return strconv.Itoa(window)
		case ByOperator:
			return operator
		case ByHour:
			return fmt.Sprintf("%02d", e.At.In(cat.loc).Hour())
		default:
			return e.Day
		}
	}
	var key string
	var apply func(r *ReportRow)
	switch e.Type {
	case EventTicketIssued:
		key, apply = keyOf(t.Service, 0, ""), func(r *ReportRow) { r.Issued++ }
	case EventTicketCalled:
		w := e.At.Sub(t.QueuedAt).Minutes()
		key, apply = keyOf(t.Service, t.Window, t.Operator), func(r *ReportRow) { r.Called++; r.waits = append(r.waits, w) }
	case EventTicketFinished:
		if len(t.History) == 0 {
			return
		}
		s := t.History[len(t.History)-1]
		d := s.FinishedAt.Sub(s.StartedAt).Minutes()
		key, apply = keyOf(s.Service, s.Window, s.Operator), func(r *ReportRow) { r.Served++; r.serves = append(r.serves, d) }
	case EventTicketNoShow:
		key, apply = keyOf(t.Service, t.Window, t.Operator), func(r *ReportRow) { r.NoShow++ }
	case EventTicketCancelled:
		key, apply = keyOf(t.Service, t.Window, t.Operator), func(r *ReportRow) { r.Cancelled++ }
	case EventTicketClosed:
		key, apply = keyOf(t.Service, t.Window, t.Operator), func(r *ReportRow) { r.Closed++ }
	case EventTicketRedirected:
		h := t.Trail[len(t.Trail)-1]
		key, apply = keyOf(h.FromService, h.FromWindow, e.Actor.ID), func(r *ReportRow) { r.Redirected++ }
	case EventTicketPostponed:
		window := 0 // the postponed ticket has left its window; the event names the window it freed
		if e.Window != nil {
			window = e.Window.Number
		}
		key, apply = keyOf(t.Service, window, e.Actor.ID), func(r *ReportRow) { r.Postponed++ }
	default:
		return
	}
	apply(total)
	if r := row(key); r != nil {
		apply(r)
	}
}

func (r *ReportRow) finish(norm float64) {
	if n := len(r.waits); n > 0 {
		slices.Sort(r.waits)
		sum, within := 0.0, 0
		for _, w := range r.waits {
			sum += w
			if w <= norm {
				within++
			}
		}
		r.WaitAvg, r.WaitP50, r.WaitP90, r.WaitMax = round1(sum/float64(n)), rank(r.waits, 0.5), rank(r.waits, 0.9), round1(r.waits[n-1])
		r.WithinNorm = round1(100 * float64(within) / float64(n))
	}
	if n := len(r.serves); n > 0 {
		slices.Sort(r.serves)
		sum := 0.0
		for _, s := range r.serves {
			sum += s
		}
		r.ServeAvg, r.ServeP50, r.ServeP90, r.ServeMax = round1(sum/float64(n)), rank(r.serves, 0.5), rank(r.serves, 0.9), round1(r.serves[n-1])
	}
}

// rank returns the nearest-rank percentile p of sorted xs.
func rank(xs []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	return round1(xs[max(0, i)])
}

func label(cat *catalog, names map[string]string, by ReportBy, key string) string {
	switch by {
	case ByService:
		if s := cat.services[key]; s != nil {
			return s.Name.RU
		}
	case ByWindow:
		n, _ := strconv.Atoi(key)
		if w := cat.windows[n]; w != nil && w.Name.RU != "" {
			return w.Name.RU
		}
		return "Окно " + key
	case ByOperator:
		if n := names[key]; n != "" {
			return n
		}
	case ByHour:
		h, _ := strconv.Atoi(key)
		return fmt.Sprintf("%02d:00–%02d:00", h, h+1)
	}
	return key
}
