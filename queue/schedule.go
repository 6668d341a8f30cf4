package queue

import (
	"fmt"
	"strconv"
	"time"
)

// Interval is a span of local time of day, "HH:MM" to "HH:MM", From before To.
type Interval struct {
	From string `json:"from" doc:"start, local time HH:MM"`
	To   string `json:"to" doc:"end, local time HH:MM"`
}

// DayHours are the working hours of one day: open to close, minus breaks.
type DayHours struct {
	Open   string     `json:"open" doc:"opening time, local HH:MM"`
	Close  string     `json:"close" doc:"closing time, local HH:MM"`
	Breaks []Interval `json:"breaks,omitempty" doc:"breaks within the day (no tickets are issued)"`
}

// WeekHours are working hours per weekday; a nil day is a day off.
type WeekHours struct {
	Mon *DayHours `json:"mon,omitempty"`
	Tue *DayHours `json:"tue,omitempty"`
	Wed *DayHours `json:"wed,omitempty"`
	Thu *DayHours `json:"thu,omitempty"`
	Fri *DayHours `json:"fri,omitempty"`
	Sat *DayHours `json:"sat,omitempty"`
	Sun *DayHours `json:"sun,omitempty"`
}

// Holiday is a date with no work, or with special hours when Hours is set.
type Holiday struct {
	Date  string    `json:"date" doc:"local date YYYY-MM-DD"`
	Name  string    `json:"name,omitempty"`
	Hours *DayHours `json:"hours,omitempty" doc:"special hours for the date; absent means closed all day"`
}

// Day returns the hours for weekday d.
func (w WeekHours) Day(d time.Weekday) *DayHours {
	switch d {
	case time.Monday:
		return w.Mon
	case time.Tuesday:
		return w.Tue
	case time.Wednesday:
		return w.Wed
	case time.Thursday:
		return w.Thu
	case time.Friday:
		return w.Fri
	case time.Saturday:
		return w.Sat
	default:
		return w.Sun
	}
}

// AllWeek returns WeekHours with the same hours every day.
func AllWeek(h DayHours) WeekHours {
	d := func() *DayHours { c := h; c.Breaks = append([]Interval(nil), h.Breaks...); return &c }
	return WeekHours{Mon: d(), Tue: d(), Wed: d(), Thu: d(), Fri: d(), Sat: d(), Sun: d()}
}

// clock parses "HH:MM" into minutes since midnight; "24:00" is allowed as an end.
func clock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func (d *DayHours) validate(field string) error {
	o, ok1 := clock(d.Open)
	if !ok1 {
		return Invalid(field+".open", RuleFormat)
	}
	c, ok2 := clock(d.Close)
	if !ok2 {
		return Invalid(field+".close", RuleFormat)
	}
	if c <= o {
		return Invalid(field+".close", RuleRange)
	}
	for i, b := range d.Breaks {
		f, ok1 := clock(b.From)
		t, ok2 := clock(b.To)
		bf := fmt.Sprintf("%s.breaks[%d]", field, i)
		if !ok1 {
			return Invalid(bf+".from", RuleFormat)
		}
		if !ok2 {
			return Invalid(bf+".to", RuleFormat)
		}
		if t <= f || f < o || t > c {
			return Invalid(bf, RuleRange)
		}
	}
	return nil
}

func (w *WeekHours) validate(field string) error {
	days := []struct {
		n string
		d *DayHours
	}{{"mon", w.Mon}, {"tue", w.Tue}, {"wed", w.Wed}, {"thu", w.Thu}, {"fri", w.Fri}, {"sat", w.Sat}, {"sun", w.Sun}}
	for _, x := range days {
		if x.d != nil {
			if err := x.d.validate(field + "." + x.n); err != nil {
				return err
			}
		}
	}
	return nil
}

// openState says whether a moment is inside working hours.
type openState int

const (
	stateOpen openState = iota
	stateClosed
	stateBreak
)

// at reports the state of hours h at minute-of-day m, and the minute the state
// ends (the close for open, the break's end for a break).
func (d *DayHours) at(m int) (openState, int) {
	if d == nil {
		return stateClosed, 0
	}
	o, _ := clock(d.Open)
	c, _ := clock(d.Close)
	if m < o || m >= c {
		return stateClosed, 0
	}
	for _, b := range d.Breaks {
		f, _ := clock(b.From)
		t, _ := clock(b.To)
		if m >= f && m < t {
			return stateBreak, t
		}
	}
	return stateOpen, c
}

// hoursOn returns the office hours for the local date of t, holidays first.
func (o *Office) hoursOn(local time.Time) *DayHours {
	date := local.Format(time.DateOnly)
	for i := range o.Holidays {
		if o.Holidays[i].Date == date {
			return o.Holidays[i].Hours
		}
	}
	return o.Hours.Day(local.Weekday())
}

// serviceHoursOn returns the hours of service s on the local date: the office's
// hours, narrowed by the service's own schedule when it has one. A holiday
// closes every service.
func (o *Office) serviceHoursOn(s *Service, local time.Time) (office, service *DayHours) {
	office = o.hoursOn(local)
	if s == nil || s.Schedule == nil || office == nil {
		return office, office
	}
	return office, s.Schedule.Day(local.Weekday())
}

// minuteOfDay returns minutes since local midnight.
func minuteOfDay(local time.Time) int { return local.Hour()*60 + local.Minute() }

// hhmm formats minutes since midnight.
func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
