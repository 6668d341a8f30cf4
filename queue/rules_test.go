package queue_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
	"github.com/talon-queue/talon/queue/queuetest"
)

func mustCall(t *testing.T, e *queuetest.Env, m queue.Meta, window int) queue.Call {
	t.Helper()
	c, err := e.Q.CallNext(ctx, m, "test", window, queue.CallNextRequest{})
	if err != nil {
		t.Fatalf("call-next at %d: %v", window, err)
	}
	return c
}

func mustFinish(t *testing.T, e *queuetest.Env, m queue.Meta, id string) {
	t.Helper()
	if _, err := e.Q.Finish(ctx, m, id, queue.FinishRequest{}); err != nil {
		t.Fatalf("finish %s: %v", id, err)
	}
}

func TestCategoryIsCalledFirstButNobodyStarves(t *testing.T) {
	e := mustEnv(t)
	a := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	e.Clock.Add(time.Minute)
	b := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	e.Clock.Add(time.Minute)
	v := mustIssue(t, e, queue.IssueRequest{Service: "passport", Category: "veteran"})
	if v.Position != 1 {
		t.Fatalf("veteran position = %d, want 1", v.Position)
	}
	c := mustCall(t, e, op(1), 1)
	if c.Ticket.ID != v.ID {
		t.Fatalf("called %s, want the veteran %s (%s)", c.Ticket.Number, v.Number, c.Why)
	}
	if !hasFactor(c.Why, "category") {
		t.Fatalf("explanation lacks the category: %s", c.Why)
	}
	mustFinish(t, e, op(1), v.ID)
	// A veteran who arrives now is worth 30 minutes; a ticket that has waited
	// 40 minutes (25 past the norm) still goes first.
	e.Clock.Add(38 * time.Minute)
	v2 := mustIssue(t, e, queue.IssueRequest{Service: "passport", Category: "veteran"})
	c = mustCall(t, e, op(1), 1)
	if c.Ticket.ID != a.ID {
		t.Fatalf("called %s, want the long waiter %s (%s)", c.Ticket.Number, a.Number, c.Why)
	}
	if !hasFactor(c.Why, "over_norm") {
		t.Fatalf("explanation lacks the aging term: %s", c.Why)
	}
	_ = b
	_ = v2
}

func hasFactor(why *queue.Explanation, name string) bool {
	for _, f := range why.Factors {
		if f.Name == name {
			return true
		}
	}
	return false
}

func TestServiceRankAtWindow(t *testing.T) {
	e := mustEnv(t)
	tax := mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	e.Clock.Add(5 * time.Minute)
	pass := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	e.Clock.Add(time.Minute)
	// Window 1: passport rank 1, tax rank 2 (10 minutes less).
	c := mustCall(t, e, op(1), 1)
	if c.Ticket.ID != pass.ID {
		t.Fatalf("window 1 called %s, want passport %s (%s)", c.Ticket.Number, pass.Number, c.Why)
	}
	if len(c.Why.Others) != 1 || c.Why.Others[0].Ticket != tax.ID {
		t.Fatalf("runners-up = %+v", c.Why.Others)
	}
	// Window 3 serves tax at rank 1.
	c = mustCall(t, e, op(3), 3)
	if c.Ticket.ID != tax.ID {
		t.Fatalf("window 3 called %s, want %s", c.Ticket.Number, tax.Number)
	}
}

func TestBoundTicketGoesToItsWindowOnly(t *testing.T) {
	e := mustEnv(t)
	a := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	b := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	if _, err := e.Q.Bind(ctx, queuetest.As("boss", queue.RoleManager, "test"), b.ID, queue.BindRequest{Window: 2}); err != nil {
		t.Fatal(err)
	}
	c := mustCall(t, e, op(1), 1)
	if c.Ticket.ID != a.ID {
		t.Fatalf("window 1 called %s, want %s", c.Ticket.Number, a.Number)
	}
	mustFinish(t, e, op(1), a.ID)
	_, err := e.Q.CallNext(ctx, op(1), "test", 1, queue.CallNextRequest{})
	wantCode(t, err, queue.CodeQueueEmpty)
	c = mustCall(t, e, op(2), 2)
	if c.Ticket.ID != b.ID || c.Why.Rule != "bound" {
		t.Fatalf("window 2 called %s by %s, want bound %s", c.Ticket.Number, c.Why.Rule, b.Number)
	}
}

func TestHoursBreaksHolidaysAndLimits(t *testing.T) {
	e := mustEnv(t)
	// Tuesday 21:00: closed.
	e.Clock.Set(queuetest.Start.Add(11 * time.Hour))
	_, err := e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "passport"})
	wantCode(t, err, queue.CodeOfficeClosed)
	if p := err.(*queue.Error).Params["opens"]; p != "25.11 08:00" {
		t.Fatalf("opens = %q", p)
	}
	// A holiday closes the office; the staff cannot bypass it either.
	cfg := queuetest.Office()
	cfg.Office.Holidays = []queue.Holiday{{Date: "2026-11-25", Name: "Тест"}}
	e.Clock.Set(queuetest.Start.AddDate(0, 0, 1))
	if _, err := e.Q.PutOffice(ctx, queuetest.Admin(), cfg.Office, queue.Update); err != nil {
		t.Fatal(err)
	}
	_, err = e.Q.Issue(ctx, queuetest.As("op1", queue.RoleOperator, "test"), "test", queue.IssueRequest{Service: "passport"})
	wantCode(t, err, queue.CodeOfficeClosed)
	cfg.Office.Holidays = nil
	if _, err := e.Q.PutOffice(ctx, queuetest.Admin(), cfg.Office, queue.Update); err != nil {
		t.Fatal(err)
	}
	// Saturday 13:30: break until 14:00.
	e.Clock.Set(queuetest.Start.AddDate(0, 0, 4).Add(3*time.Hour + 30*time.Minute))
	_, err = e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "passport"})
	wantCode(t, err, queue.CodeServiceOnBreak)
	e.Clock.Add(time.Hour)
	// Pension takes 5 a day, counting bookings for the day.
	if _, err := e.Q.Book(ctx, queuetest.Admin(), "test", queue.BookRequest{Service: "pension", At: e.Clock.Now().Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "pension"}); err != nil {
			t.Fatalf("pension %d: %v", i, err)
		}
	}
	_, err = e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "pension"})
	wantCode(t, err, queue.CodeDailyLimit)
	// Purpose only: the office maps "result" to the results desk.
	r := mustIssue(t, e, queue.IssueRequest{Purpose: queue.PurposeResult})
	if r.Service != "results" || r.Number != "В001" {
		t.Fatalf("purpose ticket = %s %s", r.Service, r.Number)
	}
	_, err = e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "results", Purpose: queue.PurposeSubmit})
	wantCode(t, err, queue.CodePurposeNotServed)
	_, err = e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "docs"})
	wantCode(t, err, queue.CodeServiceIsGroup)
	_, err = e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "passport", Phone: "abc"})
	wantCode(t, err, queue.CodeInvalidField)
}

func TestDayClosesAtLocalMidnight(t *testing.T) {
	e := mustEnv(t)
	a := mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	// Next morning 08:05 Moscow time; the engine ticks.
	e.Clock.Set(queuetest.Start.Add(22*time.Hour + 5*time.Minute))
	if err := e.Q.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := e.Q.Ticket(queuetest.Admin().Principal, a.ID)
	if err != nil || got.Status != queue.StatusClosed {
		t.Fatalf("yesterday's ticket = %s, %v; want closed", got.Status, err)
	}
	n := mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	if n.Number != "Н001" || n.Day != "2026-11-25" {
		t.Fatalf("first ticket of the day = %s on %s", n.Number, n.Day)
	}
	rep, err := e.Q.Report(queuetest.Admin().Principal, "test", "2026-11-24", "2026-11-24", queue.ByService)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Issued != 2 || rep.Total.Closed != 2 {
		t.Fatalf("report of the closed day: %+v", rep.Total)
	}
}

func TestPostponedTicketComesBack(t *testing.T) {
	e := mustEnv(t)
	a := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	e.Clock.Add(time.Minute)
	b := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	mustCall(t, e, op(1), 1)
	p, err := e.Q.Postpone(ctx, op(1), a.ID, queue.PostponeRequest{Minutes: 10, OnlyMe: true})
	if err != nil || p.Status != queue.StatusPostponed {
		t.Fatalf("postpone: %+v %v", p.Ticket, err)
	}
	_, err = e.Q.Postpone(ctx, op(1), a.ID, queue.PostponeRequest{Minutes: 10})
	wantCode(t, err, queue.CodeTicketWrongState)
	e.Clock.Add(10 * time.Minute)
	if err := e.Q.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	// Only window 1 may call it ("only mine"); it goes before b there.
	c := mustCall(t, e, op(2), 2)
	if c.Ticket.ID != b.ID {
		t.Fatalf("window 2 called %s, want %s", c.Ticket.Number, b.Number)
	}
	c = mustCall(t, e, op(1), 1)
	if c.Ticket.ID != a.ID || c.Why.Rule != "bound" {
		t.Fatalf("window 1 called %s (%s), want the returned %s", c.Ticket.Number, c.Why, a.Number)
	}
}

func TestRedirectKeepsPlaceOrNot(t *testing.T) {
	e := mustEnv(t)
	a := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	e.Clock.Add(10 * time.Minute)
	x := mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	mustCall(t, e, op(1), 1)
	r, err := e.Q.Redirect(ctx, op(1), a.ID, queue.RedirectRequest{Service: "tax", KeepPlace: true, Return: true, Reason: "нужна справка"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Position != 1 || len(r.Trail) != 1 || r.Trail[0].FromWindow != 1 || r.Trail[0].Reason != "нужна справка" {
		t.Fatalf("redirected with place: %+v", r)
	}
	c := mustCall(t, e, op(3), 3)
	if c.Ticket.ID != a.ID {
		t.Fatalf("window 3 called %s, want the redirected %s ahead of %s", c.Ticket.Number, a.Number, x.Number)
	}
	f, err := e.Q.Finish(ctx, op(3), a.ID, queue.FinishRequest{})
	if err != nil || f.Status != queue.StatusWaiting || f.Service != "passport" || f.BoundWindow != 1 {
		t.Fatalf("after tax the visitor returns to window 1: %+v %v", f.Ticket, err)
	}
	// Without keep_place the ticket joins the end.
	c = mustCall(t, e, op(3), 3)
	r, err = e.Q.Redirect(ctx, op(3), c.Ticket.ID, queue.RedirectRequest{Window: 2})
	if err != nil || r.BoundWindow != 2 || !r.QueueKey.Equal(e.Clock.Now()) {
		t.Fatalf("redirect to window: %+v %v", r.Ticket, err)
	}
}

func TestWindowRules(t *testing.T) {
	e := mustEnv(t)
	mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	c := mustCall(t, e, op(1), 1)
	_, err := e.Q.CallNext(ctx, op(2), "test", 1, queue.CallNextRequest{})
	wantCode(t, err, queue.CodeWindowTaken)
	_, err = e.Q.CallNext(ctx, op(1), "test", 1, queue.CallNextRequest{})
	wantCode(t, err, queue.CodeWindowBusy)
	_, err = e.Q.Break(ctx, op(1), "test", 1, true, queue.WindowRequest{})
	wantCode(t, err, queue.CodeWindowBusy)
	_, err = e.Q.Finish(ctx, op(2), c.Ticket.ID, queue.FinishRequest{})
	wantCode(t, err, queue.CodeTicketNotHere)
	_, err = e.Q.Finish(ctx, op(1), c.Ticket.ID, queue.FinishRequest{Result: "nonsense"})
	wantCode(t, err, queue.CodeResultUnknown)
	mustFinish(t, e, op(1), c.Ticket.ID)
	ws, err := e.Q.Break(ctx, op(1), "test", 1, true, queue.WindowRequest{Reason: "обед"})
	if err != nil || ws.Status != queue.WindowBreak {
		t.Fatalf("break: %+v %v", ws, err)
	}
	_, err = e.Q.CallNext(ctx, op(1), "test", 1, queue.CallNextRequest{})
	wantCode(t, err, queue.CodeWindowOnBreak)
	if _, err := e.Q.Break(ctx, op(1), "test", 1, false, queue.WindowRequest{}); err != nil {
		t.Fatal(err)
	}
	// Call by number, typed with a Latin letter-alike.
	n := mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	got, err := e.Q.Call(ctx, op(1), "test", 1, queue.CallRequest{Number: "h" + n.Number[len("Н"):]})
	if err != nil || got.Ticket.ID != n.ID || got.Why.Rule != "number" {
		t.Fatalf("call by number: %+v %v", got.Ticket, err)
	}
	// Leaving the window frees it for someone else once idle.
	if _, err := e.Q.NoShow(ctx, op(1), n.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Q.CloseWindow(ctx, op(1), "test", 1, queue.WindowRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Q.OpenWindow(ctx, op(2), "test", 1, queue.WindowRequest{}); err != nil {
		t.Fatal(err)
	}
}

// TestTwoWindowsNeverGetTheSameTicket calls next from many windows at once,
// and re-runs every call with the same Idempotency-Key: each ticket is called
// exactly once, and each repeated request gets its first answer.
func TestTwoWindowsNeverGetTheSameTicket(t *testing.T) {
	e := mustEnv(t)
	const n = 60
	for range n {
		mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 1; w <= 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				m := op(w)
				m.IdempotencyKey = fmt.Sprintf("w%d-%d", w, i)
				c, err := e.Q.CallNext(ctx, m, "test", w, queue.CallNextRequest{})
				if queue.ErrorCode(err) == queue.CodeQueueEmpty {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				again, err := e.Q.CallNext(ctx, m, "test", w, queue.CallNextRequest{})
				if err != nil || again.Ticket.ID != c.Ticket.ID {
					t.Errorf("repeat of %s: %v %v", m.IdempotencyKey, again.Ticket.ID, err)
				}
				mu.Lock()
				seen[c.Ticket.ID]++
				mu.Unlock()
				if _, err := e.Q.Finish(ctx, m2(w), c.Ticket.ID, queue.FinishRequest{}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("called %d distinct tickets, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("ticket %s called %d times", id, k)
		}
	}
}

func m2(w int) queue.Meta { return op(w) }

func TestBookingCheckIn(t *testing.T) {
	e := mustEnv(t)
	at := queuetest.Start.Add(time.Hour)
	b, err := e.Q.Book(ctx, queuetest.Admin(), "test", queue.BookRequest{Service: "passport", At: at, Name: "Иванов И.И.", Phone: "8 (916) 000-00-00"})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Code) != 10 || b.Phone != "+79160000000" {
		t.Fatalf("booking = %+v", b)
	}
	_, err = e.Q.CheckIn(ctx, queuetest.Kiosk("test"), "test", b.Code)
	wantCode(t, err, queue.CodeBookingTooEarly)
	e.Clock.Add(40 * time.Minute)
	walk := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	v, err := e.Q.CheckIn(ctx, queuetest.Kiosk("test"), "test", b.Code[:3]+" "+b.Code[3:])
	if err != nil {
		t.Fatal(err)
	}
	if v.Source != queue.SourceBooking || v.Booking != b.ID || !v.AppointmentAt.Equal(at) {
		t.Fatalf("checked-in ticket = %+v", v.Ticket)
	}
	// Before the appointment, the walk-in who is here goes first…
	c := mustCall(t, e, op(1), 1)
	if c.Ticket.ID != walk.ID {
		t.Fatalf("called %s, want the walk-in %s", c.Ticket.Number, walk.Number)
	}
	mustFinish(t, e, op(1), walk.ID)
	w2 := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	// …at the appointment time the booked visitor gains the booking weight,
	// more than 20 minutes of waiting.
	e.Clock.Add(20 * time.Minute)
	c = mustCall(t, e, op(1), 1)
	if c.Ticket.ID != v.ID || !hasFactor(c.Why, "booking") {
		t.Fatalf("called %s (%s), want the booked %s before %s", c.Ticket.Number, c.Why, v.Number, w2.Number)
	}
	_, err = e.Q.CheckIn(ctx, queuetest.Kiosk("test"), "test", b.Code)
	wantCode(t, err, queue.CodeBookingUsed) // a second scan says so, not "not found"
	_, err = e.Q.CancelBooking(ctx, queuetest.Admin(), b.ID)
	wantCode(t, err, queue.CodeBookingUsed)
}

func TestImportValidatesEverythingFirst(t *testing.T) {
	e := mustEnv(t)
	before := e.Q.Export()
	bad := before
	bad.Offices = append([]queue.OfficeConfig(nil), before.Offices...)
	cfg := bad.Offices[0]
	cfg.Windows = append([]queue.Window(nil), cfg.Windows...)
	cfg.Windows[0].Services = []queue.WindowService{{Service: "nope", Rank: 1}}
	bad.Offices[0] = cfg
	_, err := e.Q.Import(ctx, queuetest.Admin(), bad)
	wantCode(t, err, queue.CodeInvalidField)
	if f := err.(*queue.Error).Params["field"]; f != "offices[0].windows[0].services[0].service" {
		t.Fatalf("field = %q", f)
	}
	after := e.Q.Export()
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("a refused import changed the configuration")
	}
	// A document without a service deactivates it.
	good := before
	good.Offices = append([]queue.OfficeConfig(nil), before.Offices...)
	c := good.Offices[0]
	c.Services = append([]queue.Service(nil), c.Services[:3]...) // drop pension and results
	c.Windows = append([]queue.Window(nil), c.Windows[:2]...)
	c.Office.Settings.PurposeServices = nil
	good.Offices[0] = c
	sum, err := e.Q.Import(ctx, queuetest.Admin(), good)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deactivated != 4 {
		t.Fatalf("deactivated = %d, want 4 (2 services, 2 windows)", sum.Deactivated)
	}
	_, err = e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "pension"})
	wantCode(t, err, queue.CodeServiceInactive)
}

// TestPrefixesMustNotReadAlike: a Latin "H" beside the Cyrillic "Н" of
// "tax" would make H001 and Н001 one number to call by; a shared prefix is
// fine (the services share its counter).
func TestPrefixesMustNotReadAlike(t *testing.T) {
	e := mustEnv(t)
	before := e.Q.Export()
	with := func(prefix string) queue.Document {
		doc := before
		doc.Offices = append([]queue.OfficeConfig(nil), before.Offices...)
		cfg := doc.Offices[0]
		cfg.Services = append(append([]queue.Service(nil), cfg.Services...),
			queue.Service{ID: "notary", Name: queue.Text{RU: "Нотариус"}, Prefix: prefix, Active: true})
		cfg.Windows = append([]queue.Window(nil), cfg.Windows...)
		w := &cfg.Windows[0]
		w.Services = append(append([]queue.WindowService(nil), w.Services...), queue.WindowService{Service: "notary", Rank: 1})
		doc.Offices[0] = cfg
		return doc
	}
	_, err := e.Q.Import(ctx, queuetest.Admin(), with("H"))
	wantCode(t, err, queue.CodeInvalidField)
	if p := err.(*queue.Error).Params; p["field"] != fmt.Sprintf("offices[0].services[%d].prefix", len(before.Offices[0].Services)) || p["rule"] != queue.RuleDup {
		t.Fatalf("params = %v", p)
	}
	if fmt.Sprint(e.Q.Export()) != fmt.Sprint(before) {
		t.Fatal("a refused import changed the configuration")
	}
	if _, err := e.Q.Import(ctx, queuetest.Admin(), with("Н")); err != nil {
		t.Fatalf("a shared prefix: %v", err)
	}
	a, err := e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "tax"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "notary"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Number == b.Number {
		t.Fatalf("two services sharing a prefix gave the same number %s", a.Number)
	}
}

// TestStoredLookAlikePrefixesStillLoad: a configuration stored before the
// rule above, with such prefixes, still loads (the server starts and keeps
// issuing); the next change of it asks for them to be mended.
func TestStoredLookAlikePrefixesStillLoad(t *testing.T) {
	e := mustEnv(t)
	doc := e.Q.Export()
	cfg := doc.Offices[0]
	cfg.Services = append(slices.Clone(cfg.Services), queue.Service{ID: "notary", Name: queue.Text{RU: "Нотариус"}, Prefix: "H", Active: true})
	e.Close()
	st, err := bolt.Open(e.Path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(&queue.Batch{Configs: []*queue.OfficeConfig{&cfg}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	e.Reopen()
	mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	doc.Offices = []queue.OfficeConfig{cfg}
	_, err = e.Q.Import(ctx, queuetest.Admin(), doc)
	wantCode(t, err, queue.CodeInvalidField)
}

func TestImportKeepsAdminsItDoesNotName(t *testing.T) {
	e := mustEnv(t)
	if _, err := e.Q.PutUser(ctx, queuetest.Admin(), queue.User{ID: "root", Login: "root", Name: "Админ", Role: queue.RoleAdmin, Active: true}, queue.Create, "hash"); err != nil {
		t.Fatal(err)
	}
	doc := e.Q.Export()
	var kept []queue.User
	for _, u := range doc.Users {
		if u.Role != queue.RoleAdmin && u.ID != "op4" {
			kept = append(kept, u)
		}
	}
	doc.Users = kept
	sum, err := e.Q.Import(ctx, queuetest.Admin(), doc)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deactivated != 1 {
		t.Fatalf("deactivated %d, want only op4", sum.Deactivated)
	}
	if _, _, err := e.Q.UserByLogin("root"); err != nil {
		t.Fatalf("the admin was locked out by an import that did not name them: %v", err)
	}
	if _, _, err := e.Q.UserByLogin("op4"); err == nil {
		t.Fatal("op4, missing from the document, can still log in")
	}
}

func TestAnOfficeAdminStaysInTheirOffice(t *testing.T) {
	e := mustEnv(t)
	local := queuetest.As("local-admin", queue.RoleAdmin, "test")
	_, err := e.Q.PutUser(ctx, local, queue.User{ID: "root2", Login: "root2", Name: "Root", Role: queue.RoleAdmin, Active: true}, queue.Create, "hash")
	wantCode(t, err, queue.CodeOfficeForbidden)
	_, err = e.Q.CreateClient(ctx, local, queue.Client{ID: "everywhere", Name: "Ключ", Kind: queue.ClientAPI, Scopes: queue.AllPerms(), Active: true})
	wantCode(t, err, queue.CodeOfficeForbidden)
	_, err = e.Q.Import(ctx, local, e.Q.Export())
	wantCode(t, err, queue.CodeOfficeForbidden)
	// In their own office they manage people as before.
	if _, err := e.Q.PutUser(ctx, local, queue.User{ID: "op9", Login: "op9", Name: "Оператор", Role: queue.RoleOperator, Office: "test", Active: true}, queue.Create, "hash"); err != nil {
		t.Fatal(err)
	}
	for _, u := range e.Q.Users(local.Principal) {
		if u.Office != "test" {
			t.Errorf("an office admin sees %s of office %q", u.ID, u.Office)
		}
	}
}

func TestACommandAfterCloseIsRefused(t *testing.T) {
	e := mustEnv(t)
	e.Q.Close()
	done := make(chan error, 50)
	for range 50 {
		go func() {
			_, err := e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "tax"})
			done <- err
		}()
	}
	for range 50 {
		wantCode(t, <-done, queue.CodeUnavailable)
	}
}
