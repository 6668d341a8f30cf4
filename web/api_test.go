package web_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
)

func TestVisitThroughTheAPI(t *testing.T) {
	s := mustServer(t)
	kiosk, op1, op2 := s.as(s.Kiosk), s.login("op1"), s.login("op2")

	// Three visitors take tickets at the kiosk.
	var a, b, c queue.TicketView
	if st := kiosk.do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "passport"}, &a); st != 201 {
		t.Fatalf("issue: %d", st)
	}
	kiosk.do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "passport", "phone": "+79001234567"}, &b)
	kiosk.do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax", "category": "disabled"}, &c)
	if a.Number != "П001" || b.Number != "П002" || c.Number != "Н001" {
		t.Fatalf("numbers %s %s %s, want П001 П002 Н001", a.Number, b.Number, c.Number)
	}
	if a.Position != 1 || b.Position != 2 || b.EstimatedWait <= 0 {
		t.Errorf("positions %d %d, wait %d: want 1, 2 and a wait estimate", a.Position, b.Position, b.EstimatedWait)
	}

	// The queue as an operator sees it.
	var waiting []queue.TicketView
	op1.do("GET", "/api/v1/offices/test/tickets?status=waiting", nil, &waiting)
	if len(waiting) != 3 {
		t.Fatalf("waiting %d, want 3", len(waiting))
	}

	// Window 1 serves passport at rank 1, tax at rank 2; the disabled
	// visitor's category outweighs the rank, so Н001 comes first, with why.
	var call queue.Call
	if st := op1.do("POST", "/api/v1/offices/test/windows/1/call-next", nil, &call); st != 200 {
		t.Fatalf("call-next: %d", st)
	}
	if call.Ticket.Number != "Н001" || call.Window.Number != 1 || call.Why == nil || call.Why.String() == "" {
		t.Fatalf("called %s to %d (why %v), want Н001 to 1 with a reason", call.Ticket.Number, call.Window.Number, call.Why)
	}
	var call2 queue.Call
	op2.do("POST", "/api/v1/offices/test/windows/2/call-next", nil, &call2)
	if call2.Ticket.Number != "П001" {
		t.Fatalf("window 2 called %s, want П001", call2.Ticket.Number)
	}

	// Start, finish; the board learns of each call through the event feed.
	id := call2.Ticket.ID
	var v queue.TicketView
	if st := op2.do("POST", "/api/v1/tickets/"+id+"/start", nil, &v); st != 200 || v.Status != queue.StatusServing {
		t.Fatalf("start: %d %s", st, v.Status)
	}
	st, body := op2.raw("POST", "/api/v1/tickets/"+id+"/finish", map[string]any{"result": "lost"}, nil)
	if st != 400 || apiError(t, body).Code != queue.CodeResultUnknown {
		t.Fatalf("finish with an unknown result: %d %s, want 400 result_unknown", st, body)
	}
	if st := op2.do("POST", "/api/v1/tickets/"+id+"/finish", map[string]any{"result": "accepted"}, &v); st != 200 || v.Status != queue.StatusDone {
		t.Fatalf("finish: %d %s", st, v.Status)
	}

	var events []queue.Event
	s.as(s.Board).do("GET", "/api/v1/offices/test/events?since=0", nil, &events)
	calls := 0
	for i, e := range events {
		if i > 0 && e.Seq != events[i-1].Seq+1 {
			t.Fatalf("event feed has a gap: %d after %d", e.Seq, events[i-1].Seq)
		}
		if e.Type == queue.EventTicketCalled {
			calls++
			if e.Ticket == nil || e.Window == nil || e.Ticket.Number == "" || e.Window.Number == 0 {
				t.Errorf("call event without number and window: %+v", e)
			}
			if e.Ticket.Phone != "" {
				t.Errorf("the board sees a phone number")
			}
		}
	}
	if calls != 2 {
		t.Errorf("board saw %d calls, want 2", calls)
	}

	// Statistics for the day.
	var rep queue.Report
	day := s.env.Clock.Now().In(time.FixedZone("MSK", 3*3600)).Format("2006-01-02")
	if st := s.login("boss").do("GET", "/api/v1/offices/test/reports/queue?from="+day+"&to="+day+"&by=service", nil, &rep); st != 200 {
		t.Fatalf("report: %d", st)
	}
	if rep.Total.Issued != 3 || rep.Total.Served != 1 {
		t.Errorf("report issued %d served %d, want 3 and 1", rep.Total.Issued, rep.Total.Served)
	}
}

func TestEveryTicketActionIsReachable(t *testing.T) {
	s := mustServer(t)
	api := s.as(s.APIKey)
	issue := func(service string) queue.TicketView {
		var v queue.TicketView
		if st := api.do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": service, "case_id": "AIS-1"}, &v); st != 201 {
			t.Fatalf("issue: %d", st)
		}
		return v
	}
	callAt := func(w int, number string) queue.Call {
		var c queue.Call
		path := fmt.Sprintf("/api/v1/offices/test/windows/%d/", w)
		var st int
		if number == "" {
			st = api.do("POST", path+"call-next", map[string]any{"operator": fmt.Sprintf("op%d", w)}, &c)
		} else {
			st = api.do("POST", path+"call", map[string]any{"operator": fmt.Sprintf("op%d", w), "number": number}, &c)
		}
		if st != 200 {
			t.Fatalf("call at %d: %d", w, st)
		}
		return c
	}
	act := func(id, action string, body any, want queue.Status) queue.TicketView {
		t.Helper()
		var v queue.TicketView
		st, b := api.raw("POST", "/api/v1/tickets/"+id+"/"+action, body, nil)
		if st != 200 {
			t.Fatalf("%s: %d %s", action, st, b)
		}
		api.do("GET", "/api/v1/tickets/"+id, nil, &v)
		if v.Status != want {
			t.Fatalf("after %s: %s, want %s", action, v.Status, want)
		}
		return v
	}

	a, b := issue("passport"), issue("passport")
	// Call a given number (function 10): the second ticket first.
	if c := callAt(1, "п002"); c.Ticket.ID != b.ID {
		t.Fatalf("call by number called %s", c.Ticket.Number)
	}
	act(b.ID, "recall", nil, queue.StatusCalled)
	v := act(b.ID, "postpone", map[string]any{"minutes": 10}, queue.StatusPostponed)
	if v.PostponedUntil.IsZero() {
		t.Error("postponed without a time")
	}
	// Redirect with the trail kept (function 7), then bind (function 9).
	callAt(1, "")
	act(a.ID, "redirect", map[string]any{"service": "tax", "keep_place": true}, queue.StatusWaiting)
	v = act(a.ID, "bind", map[string]any{"window": 3}, queue.StatusWaiting)
	if len(v.Trail) != 1 || v.BoundWindow != 3 || v.Service != "tax" {
		t.Fatalf("after redirect and bind: trail %v bound %d service %s", v.Trail, v.BoundWindow, v.Service)
	}
	if c := callAt(3, ""); c.Ticket.ID != a.ID {
		t.Fatalf("window 3 called %s, want the bound ticket", c.Ticket.Number)
	}
	act(a.ID, "no-show", nil, queue.StatusNoShow)
	d := issue("pension")
	act(d.ID, "cancel", map[string]any{"reason": "ушёл"}, queue.StatusCancelled)

	// Break and back at a window.
	var ws queue.WindowState
	if st := api.do("POST", "/api/v1/offices/test/windows/3/break", map[string]any{"operator": "op3", "reason": "обед"}, &ws); st != 200 || ws.Status != queue.WindowBreak {
		t.Fatalf("break: %d %s", st, ws.Status)
	}
	st, body := api.raw("POST", "/api/v1/offices/test/windows/3/call-next", map[string]any{"operator": "op3"}, nil)
	if st != 409 || apiError(t, body).Code != queue.CodeWindowOnBreak {
		t.Fatalf("call on break: %d %s", st, body)
	}
	if st := api.do("POST", "/api/v1/offices/test/windows/3/open", map[string]any{"operator": "op3"}, &ws); st != 200 || ws.Status != queue.WindowOpen {
		t.Fatalf("back from break: %d %s", st, ws.Status)
	}
	// Close of day: everything still active is closed.
	var dc queue.DayClosed
	if st := api.do("POST", "/api/v1/offices/test/close-day", map[string]any{"reason": "конец дня"}, &dc); st != 200 || dc.Closed != 1 {
		t.Fatalf("close-day: %d, closed %d, want the postponed ticket closed", st, dc.Closed)
	}
}

func TestRolesAreChecked(t *testing.T) {
	s := mustServer(t)
	op := s.login("op1")
	cases := []struct {
		who          *client
		method, path string
		body         any
		status       int
		code         string
	}{
		{s.as(""), "GET", "/api/v1/offices/test/tickets", nil, 401, queue.CodeAuthRequired},
		{s.as("tln_forged"), "GET", "/api/v1/offices", nil, 401, queue.CodeAuthRequired},
		{s.as(s.Kiosk), "POST", "/api/v1/offices/test/windows/1/call-next", nil, 403, queue.CodeForbidden},
		{s.as(s.Kiosk), "GET", "/api/v1/offices/test/tickets", nil, 403, queue.CodeForbidden},
		{s.as(s.Board), "POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax"}, 403, queue.CodeForbidden},
		{op, "POST", "/api/v1/offices", map[string]any{"id": "x", "name": map[string]string{"ru": "X"}, "time_zone": "Europe/Moscow"}, 403, queue.CodeForbidden},
		{op, "GET", "/api/v1/offices/test/reports/queue?from=2026-11-24&to=2026-11-24", nil, 403, queue.CodeForbidden},
		{op, "GET", "/api/v1/config", nil, 403, queue.CodeForbidden},
		{op, "GET", "/api/v1/users", nil, 200, ""},
	}
	for _, c := range cases {
		st, b := c.who.raw(c.method, c.path, c.body, nil)
		if st != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, st, b, c.status)
			continue
		}
		if c.code != "" && apiError(t, b).Code != c.code {
			t.Errorf("%s %s: code %s, want %s", c.method, c.path, apiError(t, b).Code, c.code)
		}
	}
}

func TestLoginSessionsAndCSRF(t *testing.T) {
	s := mustServer(t)
	anon := s.as("")
	st, b := anon.raw("POST", "/api/v1/auth/login", map[string]string{"login": "op1", "password": "wrong password"}, nil)
	if st != 401 || apiError(t, b).Message != "Неверный логин или пароль" {
		t.Fatalf("wrong password: %d %s", st, b)
	}
	anon.lang = "en-GB,en;q=0.9,ru;q=0.5"
	_, b = anon.raw("POST", "/api/v1/auth/login", map[string]string{"login": "nobody", "password": "wrong password"}, nil)
	if m := apiError(t, b).Message; m != "Wrong login or password" {
		t.Fatalf("English message %q", m)
	}

	// The page's way: cookie session; a change without the CSRF header is refused.
	page := s.cookieClient("op1")
	var me queue.Principal
	if st := page.do("GET", "/api/v1/me", nil, &me); st != 200 || me.ID != "op1" {
		t.Fatalf("me by cookie: %d %s", st, me.ID)
	}
	st, b = page.raw("POST", "/api/v1/offices/test/windows/1/open", nil, nil)
	if st != 403 || apiError(t, b).Code != "csrf_failed" {
		t.Fatalf("cookie POST without CSRF: %d %s", st, b)
	}
	page.csrf = true
	if st := page.do("POST", "/api/v1/offices/test/windows/1/open", nil, nil); st != 200 {
		t.Fatalf("cookie POST with CSRF: %d", st)
	}
	if st := page.do("POST", "/api/v1/auth/logout", nil, nil); st != 200 {
		t.Fatalf("logout: %d", st)
	}
	if st := page.do("GET", "/api/v1/me", nil, nil); st != 401 {
		t.Fatalf("me after logout: %d, want 401", st)
	}

	// Guessing is slowed down: after ten failures even the right password waits.
	for range 10 {
		anon.raw("POST", "/api/v1/auth/login", map[string]string{"login": "op2", "password": "guess guess"}, nil)
	}
	st, b = s.as("").raw("POST", "/api/v1/auth/login", map[string]string{"login": "op2", "password": password}, nil)
	if st != 429 || apiError(t, b).Code != queue.CodeTooManyAttempts {
		t.Fatalf("after 10 failures: %d %s, want 429", st, b)
	}
	s.env.Clock.Add(11 * time.Minute)
	if st, b := s.as("").raw("POST", "/api/v1/auth/login", map[string]string{"login": "op2", "password": password}, nil); st != 200 {
		t.Fatalf("after the window: %d %s", st, b)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	s := mustServer(t)
	kiosk := s.as(s.Kiosk)
	kiosk.do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax"}, nil)
	seq := s.env.Q.Seq("test")
	cases := []struct {
		body   any
		status int
		code   string
		field  string
	}{
		{`{"service": "tax"`, 400, queue.CodeInvalidRequest, ""},
		{`{"service": 5}`, 400, queue.CodeInvalidField, "service"},
		{`{"service": "tax", "colour": "red"}`, 400, queue.CodeInvalidField, "colour"},
		{`{"service": "tax"} {}`, 400, queue.CodeInvalidRequest, ""},
		{map[string]any{"service": "nope"}, 404, queue.CodeServiceNotFound, ""},
		{map[string]any{"service": "docs"}, 400, queue.CodeServiceIsGroup, ""},
		{map[string]any{"service": "tax", "phone": "12"}, 400, queue.CodeInvalidField, "phone"},
		{map[string]any{"service": "tax", "category": "king"}, 404, queue.CodeCategoryNotFound, ""},
	}
	for _, c := range cases {
		st, b := kiosk.raw("POST", "/api/v1/offices/test/tickets", c.body, nil)
		if st != c.status {
			t.Errorf("%.60v: %d %s, want %d", c.body, st, b, c.status)
			continue
		}
		e := apiError(t, b)
		if e.Code != c.code || (c.field != "" && e.Params["field"] != c.field) {
			t.Errorf("%.60v: %+v, want %s on %q", c.body, e, c.code, c.field)
		}
	}
	if got := s.env.Q.Seq("test"); got != seq {
		t.Fatalf("bad requests wrote %d events", got-seq)
	}
	var list []queue.TicketView
	s.login("op1").do("GET", "/api/v1/offices/test/tickets", nil, &list)
	if len(list) != 1 {
		t.Fatalf("queue holds %d tickets after bad requests, want 1", len(list))
	}
	// Unknown routes and path values are errors in the same shape.
	for _, p := range []string{"/api/v1/nothing", "/api/v1/offices/test/windows/abc/call-next"} {
		st, b := s.login("op1").raw("POST", p, nil, nil)
		if st != 404 && st != 400 {
			t.Errorf("%s: %d", p, st)
		}
		apiError(t, b)
	}
	// Types that fill in defaults with their own decoder refuse unknown
	// fields too.
	st, b := s.login("root").raw("POST", "/api/v1/offices/test/services", map[string]any{"id": "x", "name": map[string]string{"ru": "Х"}, "colour": "red"}, nil)
	if st != 400 || apiError(t, b).Params["field"] != "colour" {
		t.Errorf("service with an unknown field: %d %s", st, b)
	}
	// A field message names the field in the caller's language.
	kiosk.lang = "en"
	_, b = kiosk.raw("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax", "phone": "12"}, nil)
	if m := apiError(t, b).Message; !strings.Contains(m, "phone") || strings.Contains(m, "{") {
		t.Errorf("field message %q", m)
	}
	// A range message reads whole: with the range when there is one, and
	// without a dangling dash when the limit is not a pair of numbers.
	boss := s.login("boss")
	for lang, want := range map[string]string{"ru": "Поле «to»: значение вне допустимого диапазона (2026-12-02–2027-12-03)",
		"en": "Field “to”: out of range (2026-12-02–2027-12-03)"} {
		boss.lang = lang
		st, b := boss.raw("GET", "/api/v1/offices/test/reports/queue?from=2026-12-02&to=2026-01-01", nil, nil)
		if m := apiError(t, b).Message; st != 400 || m != want {
			t.Errorf("%s: report from after to: %d %q, want %q", lang, st, m, want)
		}
	}
	// Names in the caller's language, states and purposes in words.
	for i := range 5 {
		if st := kiosk.do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "pension"}, nil); st != 201 {
			t.Fatalf("pension %d: %d", i, st)
		}
	}
	var tax queue.TicketView
	kiosk.do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax"}, &tax)
	api := s.as(s.APIKey)
	api.do("POST", "/api/v1/tickets/"+tax.ID+"/cancel", map[string]any{}, nil)
	for lang, want := range map[string][]string{
		"en": {"No more tickets today for “Pensions” (limit 5)", "Ticket " + tax.Number + " is “cancelled”; this action is not possible", "Visit purpose “submitting documents” is not accepted here"},
		"ru": {"На сегодня талоны на услугу «Пенсии» закончились (лимит 5)", "Талон " + tax.Number + " сейчас в состоянии «отменён», это действие невозможно", "Цель визита «подача документов» здесь не принимается"},
	} {
		kiosk.lang, api.lang = lang, lang
		_, b := kiosk.raw("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "pension"}, nil)
		_, b2 := api.raw("POST", "/api/v1/tickets/"+tax.ID+"/cancel", map[string]any{}, nil)
		_, b3 := kiosk.raw("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "results", "purpose": "submit"}, nil)
		for i, b := range [][]byte{b, b2, b3} {
			if m := apiError(t, b).Message; m != want[i] {
				t.Errorf("%s: %q, want %q", lang, m, want[i])
			}
		}
	}
	boss.lang = "en"
	_, b = boss.raw("GET", "/api/v1/offices/test/reports/queue?to=2026-11-24", nil, nil)
	if m := apiError(t, b).Message; m != "Field “from”: required" {
		t.Errorf("report without from: %q", m)
	}
	_, b = boss.raw("POST", "/api/v1/offices/test/bookings", map[string]any{"service": "tax", "at": "2020-01-01T10:00:00Z"}, nil)
	if m := apiError(t, b).Message; m != "Field “at”: out of range" {
		t.Errorf("booking in the past: %q", m)
	}
}

func TestIdempotencyKey(t *testing.T) {
	s := mustServer(t)
	api := s.as(s.APIKey)
	h := map[string]string{"Idempotency-Key": "ais-req-42"}
	st1, b1 := api.raw("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax"}, h)
	st2, b2 := api.raw("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax"}, h)
	if st1 != 201 || st2 != 201 || string(b1) != string(b2) {
		t.Fatalf("retry gave %d %s then %d %s, want the same ticket", st1, b1, st2, b2)
	}
	st, b := api.raw("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "passport"}, h)
	if st != 400 || apiError(t, b).Code != queue.CodeIdempotencyMismatch {
		t.Fatalf("same key, other body: %d %s", st, b)
	}
	var list []queue.TicketView
	api.do("GET", "/api/v1/offices/test/tickets", nil, &list)
	if len(list) != 1 {
		t.Fatalf("%d tickets, want 1", len(list))
	}
}

func TestConcurrentCallsNeverShareATicket(t *testing.T) {
	s := mustServer(t)
	api := s.as(s.APIKey)
	for range 40 {
		api.do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "passport"}, nil)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 1; w <= 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.as(s.APIKey)
			for {
				var call queue.Call
				st, b := c.raw("POST", fmt.Sprintf("/api/v1/offices/test/windows/%d/call-next", w), map[string]any{"operator": fmt.Sprintf("op%d", w)}, nil)
				if st == 409 {
					if code := apiError(t, b).Code; code == queue.CodeQueueEmpty {
						return
					} else {
						t.Errorf("window %d: %s", w, code)
						return
					}
				}
				if err := jsonUnmarshal(b, &call); err != nil || st != 200 {
					t.Errorf("window %d: %d %s", w, st, b)
					return
				}
				mu.Lock()
				seen[call.Ticket.ID]++
				mu.Unlock()
				if st, b := c.raw("POST", "/api/v1/tickets/"+call.Ticket.ID+"/no-show", nil, nil); st != 200 {
					t.Errorf("no-show: %d %s", st, b)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Errorf("%d distinct tickets called, want 40", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("ticket %s called %d times", id, n)
		}
	}
}

func TestPublicTicketPageData(t *testing.T) {
	s := mustServer(t)
	var v queue.TicketView
	s.as(s.Kiosk).do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax", "phone": "+79001234567", "case_id": "X-1"}, &v)
	if len(v.Code) < 20 {
		t.Fatalf("page code %q is too short to be unguessable", v.Code)
	}
	var pub queue.TicketView
	if st := s.as("").do("GET", "/api/v1/public/tickets/"+v.Code, nil, &pub); st != 200 {
		t.Fatalf("public ticket: %d", st)
	}
	if pub.Number != v.Number || pub.Position != 1 || pub.Phone != "" || pub.CaseID != "" {
		t.Fatalf("public view %+v: want number and position, no phone or case", pub)
	}
	if st := s.as("").do("GET", "/api/v1/public/tickets/"+v.Code[:len(v.Code)-1]+"x", nil, nil); st != 404 {
		t.Fatalf("a wrong code: %d, want 404", st)
	}
}

func TestEventsLongPoll(t *testing.T) {
	s := mustServer(t)
	board := s.as(s.Board)
	since := s.env.Q.Seq("test")
	done := make(chan []queue.Event)
	go func() {
		var ev []queue.Event
		board.do("GET", fmt.Sprintf("/api/v1/offices/test/events?since=%d&wait=20", since), nil, &ev)
		done <- ev
	}()
	time.Sleep(50 * time.Millisecond) // let the poll start waiting; the answer does not depend on it
	s.as(s.Kiosk).do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax"}, nil)
	select {
	case ev := <-done:
		if len(ev) == 0 || ev[0].Seq != since+1 || ev[0].Type != queue.EventTicketIssued {
			t.Fatalf("long poll returned %+v", ev)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("long poll did not return on a new event")
	}
}

func TestConfigurationThroughTheAPI(t *testing.T) {
	s := mustServer(t)
	admin := s.login("root")
	var svc queue.Service
	st, b := admin.raw("POST", "/api/v1/offices/test/services", map[string]any{"id": "snils", "name": map[string]string{"ru": "СНИЛС"}, "prefix": "С", "norm_minutes": 12}, nil)
	if st != 201 {
		t.Fatalf("create service: %d %s", st, b)
	}
	jsonUnmarshal(b, &svc)
	if !svc.Active {
		t.Error("a new service is not active")
	}
	if st := admin.do("PUT", "/api/v1/offices/test/windows/3", map[string]any{"services": []map[string]any{{"service": "snils", "rank": 1}}}, nil); st != 200 {
		t.Fatalf("update window: %d", st)
	}
	// Live: the kiosk can issue for it and window 3 calls it, no restart.
	var v queue.TicketView
	if st := s.as(s.Kiosk).do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "snils"}, &v); st != 201 {
		t.Fatalf("issue for the new service: %d", st)
	}
	var c queue.Call
	s.login("op3").do("POST", "/api/v1/offices/test/windows/3/call-next", nil, &c)
	if c.Ticket.ID != v.ID {
		t.Fatalf("window 3 called %q", c.Ticket.Number)
	}
	// Deactivate: the kiosk is refused.
	svc.Active = false
	admin.do("PUT", "/api/v1/offices/test/services/snils", svc, nil)
	if st, b := s.as(s.Kiosk).raw("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "snils"}, nil); st != 409 || apiError(t, b).Code != queue.CodeServiceInactive {
		t.Fatalf("issue for an inactive service: %d %s", st, b)
	}
	// The whole document: a bad one changes nothing.
	var doc queue.Document
	admin.do("GET", "/api/v1/config", nil, &doc)
	before := s.env.Q.Seq("test")
	doc.Offices[0].Windows[0].Services = []queue.WindowService{{Service: "ghost", Rank: 1}}
	if st, b := admin.raw("PUT", "/api/v1/config", doc, nil); st != 400 {
		t.Fatalf("bad import: %d %s", st, b)
	}
	if s.env.Q.Seq("test") != before {
		t.Fatal("a refused import wrote events")
	}
	// People and devices.
	var u queue.User
	if st, b := admin.raw("POST", "/api/v1/users", map[string]any{"id": "op9", "login": "op9", "name": "Новый", "role": "operator", "office": "test", "password": "short"}, nil); st != 400 || apiError(t, b).Params["field"] != "password" {
		t.Fatalf("short password: %d %s", st, b)
	}
	if st := admin.do("POST", "/api/v1/users", map[string]any{"id": "op9", "login": "op9", "name": "Новый", "role": "operator", "office": "test", "password": password}, &u); st != 201 {
		t.Fatalf("create user: %d", st)
	}
	s.login("op9")
	var tok queue.ClientToken
	if st := admin.do("POST", "/api/v1/clients", map[string]any{"id": "kiosk-2", "name": "Киоск 2", "kind": "kiosk", "office": "test", "active": true}, &tok); st != 201 || tok.Token == "" {
		t.Fatalf("create device: %d", st)
	}
	if st := s.as(tok.Token).do("POST", "/api/v1/offices/test/tickets", map[string]any{"service": "tax"}, nil); st != 201 {
		t.Fatalf("the new kiosk cannot issue: %d", st)
	}
	admin.do("POST", "/api/v1/clients/kiosk-2/rotate", nil, nil)
	if st := s.as(tok.Token).do("GET", "/api/v1/offices", nil, nil); st != 401 {
		t.Fatalf("the old device token still works after rotation: %d", st)
	}
	// The journals say who did what: the office's (its people and devices
	// too) and the one of people of every office (logins among them).
	seen := func(path string, want func(e queue.Event) bool) bool {
		var journal []queue.Event
		if st := admin.do("GET", path, nil, &journal); st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		found := false
		for i, e := range journal {
			if i > 0 && e.Seq != journal[i-1].Seq+1 {
				t.Fatalf("%s: gap at %d", path, e.Seq)
			}
			found = found || want(e)
		}
		return found
	}
	if !seen("/api/v1/offices/test/events?since=0&limit=1000", func(e queue.Event) bool {
		return e.Config != nil && e.Config.ID == "op9" && e.Actor.ID == "root"
	}) {
		t.Error("the office journal does not show root creating op9")
	}
	if !seen("/api/v1/events?since=0", func(e queue.Event) bool {
		return e.Type == queue.EventLogin && e.Actor.ID == "root" && e.Actor.IP != ""
	}) {
		t.Error("the journal does not show root's login with the address")
	}
	if st := s.login("op1").do("GET", "/api/v1/events", nil, nil); st != 403 {
		t.Errorf("an operator reads the people journal: %d", st)
	}
}

func TestBookingAndCheckIn(t *testing.T) {
	s := mustServer(t)
	api := s.as(s.APIKey)
	at := s.env.Clock.Now().Add(2 * time.Hour).Truncate(time.Hour)
	var bk queue.Booking
	if st, b := api.raw("POST", "/api/v1/offices/test/bookings", map[string]any{"service": "passport", "at": at.Format(time.RFC3339), "name": "Иванов"}, nil); st != 201 {
		t.Fatalf("book: %d %s", st, b)
	} else {
		jsonUnmarshal(b, &bk)
	}
	if len(bk.Code) != 10 {
		t.Fatalf("check-in code %q", bk.Code)
	}
	kiosk := s.as(s.Kiosk)
	st, b := kiosk.raw("POST", "/api/v1/offices/test/check-in", map[string]any{"code": bk.Code}, nil)
	if st != 409 || apiError(t, b).Code != queue.CodeBookingTooEarly {
		t.Fatalf("check-in 2 h early: %d %s", st, b)
	}
	s.env.Clock.Set(at.Add(-10 * time.Minute))
	var v queue.TicketView
	if st := kiosk.do("POST", "/api/v1/offices/test/check-in", map[string]any{"code": bk.Code}, &v); st != 201 || v.Source != queue.SourceBooking {
		t.Fatalf("check-in: %d %+v", st, v)
	}
	if st, b := kiosk.raw("POST", "/api/v1/offices/test/check-in", map[string]any{"code": bk.Code}, nil); st != 409 || apiError(t, b).Code != queue.CodeBookingUsed {
		t.Fatalf("second check-in: %d %s", st, b)
	}
}
