package queue

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// IssueRequest registers a visitor in the queue (functions 1 and 2: a ticket
// for a service or for a visit purpose).
type IssueRequest struct {
	Service  string   `json:"service,omitempty" doc:"service id; may be left out when purpose names a service through the office settings"`
	Purpose  Purpose  `json:"purpose,omitempty"`
	Category string   `json:"category,omitempty" doc:"priority category id; staff check the document"`
	CaseID   string   `json:"case_id,omitempty" doc:"case number in the centre's case system"`
	Phone    string   `json:"phone,omitempty" doc:"phone for notifications, +7XXXXXXXXXX"`
	Then     []string `json:"then,omitempty" doc:"services to visit after this one"`
	Window   int      `json:"window,omitempty" doc:"bind the ticket to this window at once"`
}

// TicketView is a ticket with its place in the queue while it waits.
type TicketView struct {
	Ticket
	Position      int `json:"position,omitempty" doc:"place in the queue of its service, 1 is next; only while waiting"`
	EstimatedWait int `json:"estimated_wait_minutes,omitempty" doc:"estimated minutes until the call; only while waiting, and left out when 0 (the call is due now)"`
}

// Call is the answer to a call: the ticket, the window and why it was chosen.
type Call struct {
	Ticket TicketView   `json:"ticket"`
	Window WindowState  `json:"window"`
	Why    *Explanation `json:"why"`
}

type issueCmd struct {
	Office string
	Req    IssueRequest
}

// Issue registers a ticket. Every rule is checked here, for kiosks, staff and
// integrations alike: office and service hours, breaks, holidays, the daily
// limit, the close of day. Returns office_not_found, office_inactive,
// office_closed, day_closed, service_not_found, service_inactive,
// service_is_group, service_closed, service_on_break, service_not_served,
// purpose_not_served, daily_limit_reached, category_not_found,
// category_inactive, window_not_found or invalid_field.
func (q *Queue) Issue(ctx context.Context, m Meta, office string, req IssueRequest) (TicketView, error) {
	return run[TicketView](ctx, q, m, issueCmd{office, req})
}

func (x issueCmd) run(c *txn) (any, error) {
	if err := c.require(PermIssue, x.Office); err != nil {
		return nil, err
	}
	os, err := c.office(x.Office)
	if err != nil {
		return nil, err
	}
	t, err := c.newTicket(os, x.Req, sourceOf(c.principal()), time.Time{})
	if err != nil {
		return nil, err
	}
	return c.issue(os, t, nil), nil
}

func sourceOf(p *Principal) Source {
	switch {
	case p.Kind == "client" && p.Client == ClientKiosk:
		return SourceKiosk
	case p.Kind == "user":
		return SourceOperator
	}
	return SourceAPI
}

// newTicket checks an issue request against every rule and builds the ticket
// (not yet staged). appt is the appointment of a booking being checked in.
func (c *txn) newTicket(os *officeState, r IssueRequest, src Source, appt time.Time) (*Ticket, error) {
	o := &os.cat.cfg.Office
	if !o.Active {
		return nil, E(KindConflict, CodeOfficeInactive, "office", o.Name.RU, "office_en", o.Name.EN)
	}
	if os.rt.Closed {
		return nil, E(KindConflict, CodeDayClosed)
	}
	if r.Purpose != "" && !r.Purpose.valid() {
		return nil, Invalid("purpose", RuleValue)
	}
	sid := r.Service
	if sid == "" {
		if r.Purpose == "" {
			return nil, Invalid("service", RuleRequired)
		}
		sid = o.Settings.PurposeServices[r.Purpose]
		if sid == "" {
			return nil, E(KindConflict, CodePurposeNotServed, "purpose", string(r.Purpose))
		}
	}
	s, err := os.service(sid)
	if err != nil {
		return nil, err
	}
	if !s.Accepts(r.Purpose) {
		return nil, E(KindConflict, CodePurposeNotServed, "purpose", string(r.Purpose), "service", s.Name.RU, "service_en", s.Name.EN)
	}
	if err := os.served(s); err != nil {
		return nil, err
	}
	if r.Category != "" {
		k := os.cat.categories[r.Category]
		if k == nil {
			return nil, E(KindNotFound, CodeCategoryNotFound, "category", r.Category)
		}
		if !k.Active {
			return nil, E(KindConflict, CodeCategoryInactive, "category", k.Name.RU, "category_en", k.Name.EN)
		}
	}
	steps := slices.Clone(s.Then)
	for i, id := range r.Then {
		n, err := os.service(id)
		if err != nil {
			return nil, prefixField(fmt.Sprintf("then[%d]", i), err)
		}
		steps = append(steps, n.ID)
	}
	if len(steps) > 10 {
		return nil, Invalid("then", RuleTooLong, "max", "10")
	}
	phone, err := normPhone(r.Phone)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(r.CaseID) > 64 {
		return nil, Invalid("case_id", RuleTooLong, "max", "64")
	}
	if r.Window != 0 {
		if _, err := os.window(r.Window); err != nil {
			return nil, err
		}
	}
	if err := os.open(s, c.now); err != nil {
		return nil, err
	}
	day := os.localDay(c.now)
	if appt.IsZero() && s.DailyLimit > 0 && os.rt.Issued[s.ID]+c.w.booked(os, s.ID, day) >= s.DailyLimit {
		return nil, E(KindConflict, CodeDailyLimit, "service", s.Name.RU, "service_en", s.Name.EN, "limit", strconv.Itoa(s.DailyLimit))
	}
	key := c.now
	if appt.After(c.now) {
		key = appt // an early visitor stands in the queue from the appointment time
	}
	t := &Ticket{
		Office: o.ID, Day: day, Service: s.ID, Purpose: r.Purpose, Category: r.Category, Source: src,
		IssuedBy: c.principal().ID, CaseID: r.CaseID, Phone: phone, Status: StatusWaiting, AppointmentAt: appt,
		IssuedAt: c.now, QueuedAt: c.now, QueueKey: key, BoundWindow: r.Window,
	}
	if len(steps) > 0 {
		t.Steps = steps
	}
	return t, nil
}

// issue numbers, stages and announces a checked ticket.
func (c *txn) issue(os *officeState, t *Ticket, booking *Booking) TicketView {
	s := os.cat.services[t.Service]
	n := os.rt.Counters[s.Prefix] + 1
	t.ID = c.newTicketID()
	t.Number = ticketNumber(s.Prefix, n)
	t.Code = t.ID + "-" + randomCode() // found by its id: no index to write
	if booking != nil {
		t.Booking = booking.ID
	}
	c.put(runtimeChange{office: t.Office, key: "n:" + s.Prefix, n: n})
	c.put(runtimeChange{office: t.Office, key: "s:" + s.ID, n: os.rt.Issued[s.ID] + 1})
	c.put(ticketChange{t})
	c.emit(t.Office, EventTicketIssued, func(e *Event) { e.Ticket = t; e.Booking = booking })
	v := TicketView{Ticket: *t}
	ahead := os.aheadOf(t, c.now)
	v.Position, v.EstimatedWait = ahead+1, os.estimate(t.Service, ahead)
	return v
}

// ticketNumber is the prefix and the counter in at least three digits: А042.
func ticketNumber(prefix string, n int) string {
	b := make([]byte, 0, len(prefix)+8)
	b = append(b, prefix...)
	for m := 100; m > 1 && n < m && n >= 0; m /= 10 {
		b = append(b, '0')
	}
	return string(strconv.AppendInt(b, int64(n), 10))
}

// aheadOf counts the waiting tickets that would be called before t.
func (os *officeState) aheadOf(t *Ticket, now time.Time) int {
	if t.BoundWindow > 0 {
		if l := os.bound[t.BoundWindow]; l != nil {
			n := 0
			for _, o := range l.items {
				if o.ID != t.ID && byPlace(o, t) < 0 {
					n++
				}
			}
			return n
		}
		return 0
	}
	me, _ := os.score(t, 1, now, false)
	mine := candidate{t: t, score: me}
	ahead := func(o *Ticket) bool {
		s, _ := os.score(o, 1, now, false)
		return o.ID != t.ID && better(candidate{t: o, score: s}, mine) < 0
	}
	n := 0
	if q := os.queues[t.Service]; q != nil {
		for k, l := range q.buckets {
			if k.booked { // an appointment's weight comes at its own time: count one by one
				for _, o := range l.items {
					if ahead(o) {
						n++
					}
				}
				continue
			}
			// Without appointments the score falls along a bucket (the
			// longest waiting first), so the tickets ahead are a prefix:
			// an issue costs O(log n), not a scan of the whole queue, and
			// O(1) when the whole bucket is ahead (a ticket issued now).
			items := l.items
			if k := len(items); k > 0 && items[k-1] == t {
				items = items[:k-1]
			}
			if k := len(items); k > 0 && ahead(items[k-1]) {
				n += k
				continue
			}
			n += sort.Search(len(items), func(i int) bool { return !ahead(items[i]) })
		}
	}
	for _, l := range os.bound { // bound tickets go first at their window
		for _, o := range l.items {
			if o.Service == t.Service && o.ID != t.ID {
				n++
			}
		}
	}
	return n
}

// open checks the office and service hours at now.
func (os *officeState) open(s *Service, now time.Time) error {
	o := &os.cat.cfg.Office
	local := now.In(os.cat.loc)
	m := minuteOfDay(local)
	office, service := o.serviceHoursOn(s, local)
	for i, h := range []*DayHours{office, service} {
		st, end := h.at(m)
		code := CodeOfficeClosed
		if i == 1 {
			code = CodeServiceClosed
		}
		switch {
		case st == stateClosed:
			return E(KindConflict, code, "service", s.Name.RU, "service_en", s.Name.EN, "opens", os.nextOpen(s, local))
		case st == stateBreak:
			return E(KindConflict, CodeServiceOnBreak, "service", s.Name.RU, "service_en", s.Name.EN, "until", hhmm(end))
		case o.Settings.StopIssueMinutes > 0 && m >= end-o.Settings.StopIssueMinutes:
			return E(KindConflict, code, "service", s.Name.RU, "service_en", s.Name.EN, "opens", os.nextOpen(s, local))
		}
	}
	return nil
}

// nextOpen returns when service s next takes visitors after local time, as
// "DD.MM HH:MM" (empty when not within two weeks).
func (os *officeState) nextOpen(s *Service, local time.Time) string {
	o := &os.cat.cfg.Office
	for d := 0; d < 15; d++ {
		day := local.AddDate(0, 0, d)
		office, service := o.serviceHoursOn(s, day)
		if office == nil || service == nil {
			continue
		}
		oo, _ := clock(office.Open)
		so, _ := clock(service.Open)
		start := max(oo, so)
		if d == 0 && start <= minuteOfDay(local) {
			continue
		}
		return day.Format("02.01") + " " + hhmm(start)
	}
	return ""
}

// booked counts the bookings of service for day still to come.
func (w *world) booked(os *officeState, service, day string) int {
	n := 0
	for _, b := range w.bookings {
		if b.Office == os.cat.cfg.Office.ID && b.Service == service && b.Day == day {
			n++
		}
	}
	return n
}

func normPhone(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	var b strings.Builder
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", Invalid("phone", RuleFormat)
		}
	}
	d := b.String()
	if len(d) == 11 && d[0] == '8' {
		d = "7" + d[1:]
	}
	if len(d) == 10 {
		d = "7" + d
	}
	if len(d) < 11 || len(d) > 15 {
		return "", Invalid("phone", RuleFormat)
	}
	return "+" + d, nil
}

// randomCode returns 130 random bits as 26 lower-case base32 letters: the
// secret part of a live ticket page's code, which nobody can guess.
func randomCode() string {
	var b [16]byte
	rand.Read(b[:])
	return codeEncoding.EncodeToString(b[:])
}

// codeEncoding writes page codes: base32 in lower case, without padding
// (built once: it is used for every ticket).
var codeEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// CallNextRequest asks a window to call the next visitor.
type CallNextRequest struct {
	Service  string `json:"service,omitempty" doc:"call only from this service"`
	Operator string `json:"operator,omitempty" doc:"login of the operator the integration calls for; opens a closed window for them"`
}

type callNextCmd struct {
	Office string
	Window int
	Req    CallNextRequest
}

// CallNext calls the best waiting ticket to a window (function 4), choosing by
// binding, category, the window's service ranks, time waited and appointments,
// and explains the choice. An operator who is not at a window sits down at it.
// Returns window_not_found, window_inactive, window_taken, window_not_yours,
// window_on_break, window_busy or queue_empty.
func (q *Queue) CallNext(ctx context.Context, m Meta, office string, window int, req CallNextRequest) (Call, error) {
	return run[Call](ctx, q, m, callNextCmd{office, window, req})
}

func (x callNextCmd) run(c *txn) (any, error) {
	os, ws, err := c.readyWindow(x.Office, x.Window, x.Req.Operator)
	if err != nil {
		return nil, err
	}
	t, why := os.pick(x.Window, x.Req.Service, c.now)
	if t == nil {
		return nil, E(KindConflict, CodeQueueEmpty, "window", strconv.Itoa(x.Window))
	}
	return c.call(os, ws, t, why)
}

// operator returns the id of the active operator of office with login, for
// an integration that acts for them; "" when login is empty. Logins are
// matched without regard to case, as they are stored.
func (c *txn) operator(office, login string) (string, error) {
	if login == "" {
		return "", nil
	}
	id := c.w.logins[strings.ToLower(login)]
	if u := c.w.users[id]; id == "" || !u.User.Active || u.User.Office != office {
		return "", E(KindNotFound, CodeUserNotFound, "login", login)
	}
	return id, nil
}

// readyWindow returns a window the caller works that can call someone now.
func (c *txn) readyWindow(office string, n int, login string) (*officeState, *WindowState, error) {
	os, err := c.office(office)
	if err != nil {
		return nil, nil, err
	}
	operator, err := c.operator(office, login)
	if err != nil {
		return nil, nil, err
	}
	ws, err := c.atWindow(os, n, true, operator)
	if err != nil {
		return nil, nil, err
	}
	if ws.Status == WindowBreak {
		return nil, nil, E(KindConflict, CodeWindowOnBreak, "window", strconv.Itoa(n))
	}
	if ws.Ticket != "" {
		return nil, nil, E(KindConflict, CodeWindowBusy, "window", strconv.Itoa(n), "number", os.numberOf(ws.Ticket))
	}
	return os, ws, nil
}

func (c *txn) call(os *officeState, ws *WindowState, t *Ticket, why *Explanation) (any, error) {
	n, err := apply(t, op{act: ActCall, window: ws.Number, operator: ws.Operator}, c.now)
	if err != nil {
		return nil, err
	}
	nws := *ws
	nws.Ticket = n.ID
	c.put(ticketChange{n})
	c.put(windowChange{&nws})
	c.emit(n.Office, EventTicketCalled, func(e *Event) { e.Ticket, e.Window, e.Why = n, &nws, why })
	return Call{Ticket: TicketView{Ticket: *n}, Window: nws, Why: why}, nil
}

// CallRequest calls a ticket by its number.
type CallRequest struct {
	Number   string `json:"number" doc:"ticket number, e.g. А042 (a Latin A is taken as Cyrillic)"`
	Operator string `json:"operator,omitempty" doc:"login of the operator the integration calls for"`
}

type callCmd struct {
	Office string
	Window int
	Req    CallRequest
}

// Call calls a given ticket number to a window (function 10), also one that
// is postponed. Returns number_not_found, ticket_wrong_state and the window
// errors of CallNext.
func (q *Queue) Call(ctx context.Context, m Meta, office string, window int, req CallRequest) (Call, error) {
	return run[Call](ctx, q, m, callCmd{office, window, req})
}

func (x callCmd) run(c *txn) (any, error) {
	if strings.TrimSpace(x.Req.Number) == "" {
		return nil, Invalid("number", RuleRequired)
	}
	os, ws, err := c.readyWindow(x.Office, x.Window, x.Req.Operator)
	if err != nil {
		return nil, err
	}
	id := os.byNumber.get(x.Req.Number)
	t := os.tickets[id]
	if t == nil {
		return nil, E(KindNotFound, CodeNumberNotFound, "number", x.Req.Number)
	}
	return c.call(os, ws, t, &Explanation{Rule: "number", Factors: []Factor{{Name: "number", Value: t.Number}}})
}

// ticketCmd is an action on one ticket by id.
type ticketCmd struct {
	ID     string
	Act    Action
	Req    any
	Window int // bind: target window
}

// PostponeRequest sets a called visitor aside for a while (function 5).
type PostponeRequest struct {
	Minutes int    `json:"minutes" doc:"how long, 1 to the office's max_postpone_minutes"`
	OnlyMe  bool   `json:"only_me,omitempty" doc:"when the time is up, only this window calls the visitor"`
	Reason  string `json:"reason,omitempty"`
}

// FinishRequest ends the service of a visitor (function 6).
type FinishRequest struct {
	Result  string   `json:"result,omitempty" doc:"result id from the service's results"`
	Comment string   `json:"comment,omitempty"`
	Next    []string `json:"next,omitempty" doc:"services the visitor goes on to (e.g. payment), before any planned steps"`
}

// RedirectRequest sends a visitor to another service or window (function 7).
type RedirectRequest struct {
	Service   string `json:"service,omitempty" doc:"target service; the current one when empty"`
	Window    int    `json:"window,omitempty" doc:"target window; the ticket is bound to it"`
	KeepPlace bool   `json:"keep_place,omitempty" doc:"keep the original place in the queue instead of joining the end"`
	Return    bool   `json:"return,omitempty" doc:"come back to the current service and window afterwards"`
	Reason    string `json:"reason,omitempty"`
}

// BindRequest binds a waiting ticket to a window (function 9).
type BindRequest struct {
	Window int `json:"window" doc:"window number; 0 removes the binding"`
}

// CancelRequest withdraws a ticket.
type CancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

// Recall announces a called ticket again. Past the office's recall limit the
// ticket becomes a no-show. Returns ticket_not_found, ticket_wrong_state or
// ticket_not_at_window.
func (q *Queue) Recall(ctx context.Context, m Meta, id string) (TicketView, error) {
	return run[TicketView](ctx, q, m, ticketCmd{ID: id, Act: ActRecall})
}

// Start marks the start of service of a called ticket.
func (q *Queue) Start(ctx context.Context, m Meta, id string) (TicketView, error) {
	return run[TicketView](ctx, q, m, ticketCmd{ID: id, Act: ActStart})
}

// Postpone sets a called or served visitor aside; the ticket comes back into
// the queue, with its place, when the time is up.
func (q *Queue) Postpone(ctx context.Context, m Meta, id string, r PostponeRequest) (TicketView, error) {
	return run[TicketView](ctx, q, m, ticketCmd{ID: id, Act: ActPostpone, Req: r})
}

// Finish ends a step of a visit. The ticket goes on to the next step or back
// to the service it was redirected from, else it is done. Returns
// result_required, result_unknown and the errors of Recall.
func (q *Queue) Finish(ctx context.Context, m Meta, id string, r FinishRequest) (TicketView, error) {
	return run[TicketView](ctx, q, m, ticketCmd{ID: id, Act: ActFinish, Req: r})
}

// Redirect sends a ticket to another service or window, keeping its place or
// not, and records the hop in its trail.
func (q *Queue) Redirect(ctx context.Context, m Meta, id string, r RedirectRequest) (TicketView, error) {
	return run[TicketView](ctx, q, m, ticketCmd{ID: id, Act: ActRedirect, Req: r})
}

// Bind binds a waiting ticket to a window, or unbinds it with window 0.
func (q *Queue) Bind(ctx context.Context, m Meta, id string, r BindRequest) (TicketView, error) {
	return run[TicketView](ctx, q, m, ticketCmd{ID: id, Act: ActBind, Req: r})
}

// NoShow marks a called visitor who did not come.
func (q *Queue) NoShow(ctx context.Context, m Meta, id string) (TicketView, error) {
	return run[TicketView](ctx, q, m, ticketCmd{ID: id, Act: ActNoShow})
}

// Cancel withdraws a waiting, called or postponed ticket.
func (q *Queue) Cancel(ctx context.Context, m Meta, id string, r CancelRequest) (TicketView, error) {
	return run[TicketView](ctx, q, m, ticketCmd{ID: id, Act: ActCancel, Req: r})
}

var ticketEvents = map[Action]EventType{
	ActRecall: EventTicketRecalled, ActStart: EventTicketStarted, ActPostpone: EventTicketPostponed,
	ActFinish: EventTicketFinished, ActRedirect: EventTicketRedirected, ActBind: EventTicketBound,
	ActNoShow: EventTicketNoShow, ActCancel: EventTicketCancelled,
}

func (x ticketCmd) run(c *txn) (any, error) {
	t, os, err := c.ticket(x.ID, x.Act)
	if err != nil {
		return nil, err
	}
	if err := c.mayTouch(os, t); err != nil {
		return nil, err
	}
	settings := &os.cat.cfg.Office.Settings
	o := op{act: x.Act, recallMax: settings.RecallLimit, by: c.principal().ID}
	reason := ""
	switch r := x.Req.(type) {
	case PostponeRequest:
		if r.Minutes < 1 || r.Minutes > settings.MaxPostponeMinutes {
			return nil, Invalid("minutes", RuleRange, "min", "1", "max", strconv.Itoa(settings.MaxPostponeMinutes))
		}
		o.until = c.now.Add(time.Duration(r.Minutes) * time.Minute)
		if r.OnlyMe {
			o.window = t.Window
		}
		reason = r.Reason
	case FinishRequest:
		if err := c.checkFinish(os, t, r); err != nil {
			return nil, err
		}
		o.result, o.comment, o.next = r.Result, r.Comment, r.Next
	case RedirectRequest:
		if err := c.checkRedirect(os, t, r); err != nil {
			return nil, err
		}
		o.service, o.window, o.keepPlace, o.reason = r.Service, r.Window, r.KeepPlace, r.Reason
		o.back = r.Return && r.Service != "" && r.Service != t.Service
		reason = r.Reason
	case BindRequest:
		if r.Window != 0 {
			if _, err := os.window(r.Window); err != nil {
				return nil, err
			}
		}
		o.window = r.Window
	case CancelRequest:
		if utf8.RuneCountInString(r.Reason) > 500 {
			return nil, Invalid("reason", RuleTooLong, "max", "500")
		}
		o.reason, reason = r.Reason, r.Reason
	}
	n, err := apply(t, o, c.now)
	if err != nil {
		return nil, err
	}
	typ := ticketEvents[x.Act]
	if n.Status == StatusNoShow {
		typ = EventTicketNoShow
	}
	c.put(ticketChange{n})
	var nws *WindowState
	if t.Window != 0 && n.Status != StatusCalled && n.Status != StatusServing {
		if ws := os.windowState(t.Window); ws.Ticket == t.ID {
			w := *ws
			w.Ticket = ""
			nws = &w
			c.put(windowChange{nws})
		}
	}
	c.emit(n.Office, typ, func(e *Event) { e.Ticket, e.Window, e.Reason = n, nws, reason })
	v := TicketView{Ticket: *n}
	if n.Status == StatusWaiting {
		// The place is computed against the queue without this ticket's old
		// version, as the next reader will see it.
		ahead := os.aheadOf(n, c.now)
		v.Position, v.EstimatedWait = ahead+1, os.estimate(n.Service, ahead)
	}
	return v, nil
}

func (c *txn) checkFinish(os *officeState, t *Ticket, r FinishRequest) error {
	s := os.cat.services[t.Service]
	if r.Result == "" && s != nil && s.ResultRequired {
		return E(KindInvalid, CodeResultRequired, "service", s.Name.RU, "service_en", s.Name.EN)
	}
	if r.Result != "" && (s == nil || s.result(r.Result) == nil) {
		return E(KindInvalid, CodeResultUnknown, "result", r.Result)
	}
	if utf8.RuneCountInString(r.Comment) > 1000 {
		return Invalid("comment", RuleTooLong, "max", "1000")
	}
	if len(r.Next)+len(t.Steps) > 10 {
		return Invalid("next", RuleTooLong, "max", "10")
	}
	for i, id := range r.Next {
		n, err := os.service(id)
		if err != nil {
			return prefixField(fmt.Sprintf("next[%d]", i), err)
		}
		if err := os.served(n); err != nil {
			return err
		}
	}
	return nil
}

func (c *txn) checkRedirect(os *officeState, t *Ticket, r RedirectRequest) error {
	if r.Service == "" && r.Window == 0 {
		return Invalid("service", RuleRequired)
	}
	if utf8.RuneCountInString(r.Reason) > 500 {
		return Invalid("reason", RuleTooLong, "max", "500")
	}
	if r.Service != "" {
		s, err := os.service(r.Service)
		if err != nil {
			return err
		}
		if r.Window == 0 {
			if err := os.served(s); err != nil {
				return err
			}
		}
	}
	if r.Window != 0 {
		if _, err := os.window(r.Window); err != nil {
			return err
		}
	}
	return nil
}
