package queue

import (
	"encoding/base32"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// ticketIn returns a ticket in status s, as the engine would have left it.
func ticketIn(s Status) *Ticket {
	t := &Ticket{ID: "1", Office: "o", Number: "А001", Service: "a", Status: s,
		IssuedAt: t0, QueuedAt: t0, QueueKey: t0}
	switch s {
	case StatusCalled:
		t.Window, t.Operator, t.CalledAt = 3, "op", t0.Add(time.Minute)
	case StatusServing:
		t.Window, t.Operator, t.CalledAt, t.StartedAt = 3, "op", t0.Add(time.Minute), t0.Add(2*time.Minute)
	case StatusPostponed:
		t.PostponedUntil = t0.Add(time.Hour)
	case StatusDone, StatusNoShow, StatusCancelled, StatusClosed:
		t.ClosedAt = t0
	}
	return t
}

// TestApplyEveryStatusAndAction checks the whole state machine: each action
// from each status either gives the expected status or is refused with
// ticket_wrong_state, and never changes the ticket it was given.
func TestApplyEveryStatusAndAction(t *testing.T) {
	want := map[Action]map[Status]Status{
		ActCall:     {StatusWaiting: StatusCalled, StatusPostponed: StatusCalled},
		ActRecall:   {StatusCalled: StatusCalled},
		ActStart:    {StatusCalled: StatusServing},
		ActPostpone: {StatusCalled: StatusPostponed, StatusServing: StatusPostponed},
		ActReturn:   {StatusPostponed: StatusWaiting},
		ActFinish:   {StatusCalled: StatusDone, StatusServing: StatusDone},
		ActRedirect: {StatusWaiting: StatusWaiting, StatusCalled: StatusWaiting, StatusServing: StatusWaiting, StatusPostponed: StatusWaiting},
		ActBind:     {StatusWaiting: StatusWaiting, StatusPostponed: StatusPostponed},
		ActNoShow:   {StatusCalled: StatusNoShow},
		ActCancel:   {StatusWaiting: StatusCancelled, StatusCalled: StatusCancelled, StatusPostponed: StatusCancelled},
		ActClose:    {StatusWaiting: StatusClosed, StatusCalled: StatusClosed, StatusServing: StatusClosed, StatusPostponed: StatusClosed},
	}
	for _, a := range Actions() {
		for _, s := range Statuses() {
			t.Run(string(a)+"/"+string(s), func(t *testing.T) {
				in := ticketIn(s)
				before := *in
				o := op{act: a, window: 5, operator: "op5", until: t0.Add(10 * time.Minute), service: "b"}
				got, err := apply(in, o, t0.Add(time.Hour))
				if in.Status != before.Status || in.Window != before.Window || in.Service != before.Service {
					t.Fatalf("apply changed its input: %+v", in)
				}
				exp, ok := want[a][s]
				if !ok {
					if ErrorCode(err) != CodeTicketWrongState {
						t.Fatalf("got %v, %v; want ticket_wrong_state", got, err)
					}
					if Allowed(s, a) {
						t.Fatalf("Allowed(%s, %s) = true for a refused action", s, a)
					}
					return
				}
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got.Status != exp {
					t.Fatalf("status = %s, want %s", got.Status, exp)
				}
				if got.Status.Active() == !got.ClosedAt.IsZero() {
					t.Fatalf("active=%v but closed_at=%v", got.Status.Active(), got.ClosedAt)
				}
				if got.Status != StatusCalled && got.Status != StatusServing && got.Status != StatusNoShow && got.Status != StatusClosed && got.Status != StatusCancelled && got.Window != 0 {
					t.Fatalf("status %s keeps window %d", got.Status, got.Window)
				}
			})
		}
	}
}

func TestRecallLimitMakesNoShow(t *testing.T) {
	in := ticketIn(StatusCalled)
	for i := 1; i <= 3; i++ {
		n, err := apply(in, op{act: ActRecall, recallMax: 3}, t0)
		if err != nil || n.Status != StatusCalled || n.Recalls != i {
			t.Fatalf("recall %d: %+v %v", i, n, err)
		}
		in = n
	}
	n, err := apply(in, op{act: ActRecall, recallMax: 3}, t0)
	if err != nil || n.Status != StatusNoShow || n.Reason != "recall_limit" {
		t.Fatalf("fourth recall: %+v %v", n, err)
	}
}

func TestFinishGoesToNextStepThenReturns(t *testing.T) {
	// Served at "a", redirected to "pay" with return, finished there: back to
	// "a" at the window that sent the visitor, with the old place.
	in := ticketIn(StatusServing)
	in.Steps = []string{"c"}
	r, err := apply(in, op{act: ActRedirect, service: "pay", back: true, by: "op"}, t0.Add(3*time.Minute))
	if err != nil || r.Service != "pay" || len(r.Returns) != 1 || r.QueueKey != t0.Add(3*time.Minute) {
		t.Fatalf("redirect: %+v %v", r, err)
	}
	r.Status, r.Window, r.CalledAt, r.StartedAt = StatusServing, 7, t0.Add(4*time.Minute), t0.Add(4*time.Minute)
	b, err := apply(r, op{act: ActFinish}, t0.Add(6*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != StatusWaiting || b.Service != "a" || b.BoundWindow != 3 || len(b.Returns) != 0 {
		t.Fatalf("after pay: %+v", b)
	}
	if len(b.History) != 1 || b.History[0].Service != "pay" || b.History[0].Window != 7 {
		t.Fatalf("history: %+v", b.History)
	}
	b.Status, b.Window, b.CalledAt = StatusCalled, 3, t0.Add(7*time.Minute)
	c, err := apply(b, op{act: ActFinish, next: []string{"x"}}, t0.Add(9*time.Minute))
	if err != nil || c.Service != "x" || len(c.Steps) != 1 || c.Steps[0] != "c" || c.QueueKey != t0.Add(9*time.Minute) {
		t.Fatalf("next step: %+v %v", c, err)
	}
	if got := c.History[1].StartedAt; got != t0.Add(7*time.Minute) {
		t.Fatalf("finish without start: started_at = %v, want the call time", got)
	}
}

func TestCanonNumber(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"А042", "A042"}, {"а42", "А042"}, {"П 7", "П007"}, {"ВС-010", "BC10"},
	} {
		if canonNumber(c.a) != canonNumber(c.b) {
			t.Errorf("canon(%q)=%q != canon(%q)=%q", c.a, canonNumber(c.a), c.b, canonNumber(c.b))
		}
	}
	if canonNumber("А042") == canonNumber("Б042") {
		t.Error("different prefixes compare equal")
	}
}

func TestPublicTicketHasNoPersonalData(t *testing.T) {
	tk := &Ticket{ID: "7", Number: "П007", Phone: "+79001234567", CaseID: "AIS-1", Code: "7-secret", Reason: "Иванов ушёл",
		History: []Step{{Service: "passport", Comment: "паспорт Иванова И.И."}},
		Trail:   []Hop{{FromService: "passport", ToService: "tax", Reason: "Иванову нужен ИНН"}}}
	p := tk.Public()
	if p.Phone != "" || p.CaseID != "" || p.Code != "" || p.Reason != "" || p.History[0].Comment != "" || p.Trail[0].Reason != "" {
		t.Fatalf("public ticket keeps personal data: %+v", p)
	}
	if tk.History[0].Comment == "" || tk.Trail[0].Reason == "" || p.Number != "П007" {
		t.Fatal("Public changed the ticket itself or lost its number")
	}
}

func TestPublicEventDropsTypedReasons(t *testing.T) {
	for reason, kept := range map[string]bool{"day_end": true, "missed": true, "Иванов ушёл домой": false, "": true} {
		e := (&Event{Type: EventTicketCancelled, Reason: reason}).Public()
		if (e.Reason == reason) != kept {
			t.Errorf("reason %q: public %q", reason, e.Reason)
		}
	}
}

func TestPublicEventHidesWhoLoggedIn(t *testing.T) {
	for _, typ := range []EventType{EventLogin, EventLogout} {
		e := &Event{Type: typ, Actor: Actor{Kind: "user", ID: "op1", Name: "Иванова А. С.", Device: "pc-7", IP: "10.0.0.5"}}
		if p := e.Public(); p.Actor != (Actor{Kind: "user"}) || p.Type != typ {
			t.Errorf("%s: public actor %+v", typ, p.Actor)
		}
		if e.Actor.Name == "" {
			t.Fatal("Public changed the event itself")
		}
	}
	call := &Event{Type: EventTicketCalled, Actor: Actor{Kind: "user", ID: "op1", Name: "Иванова А. С."}}
	if call.Public().Actor.Name == "" {
		t.Error("a call lost the operator's name, which boards may show at the window")
	}
}

func TestNumberIndex(t *testing.T) {
	x := numberIndex{}
	x.put("А042", "42")
	x.put("ВС007", "7")
	x.put("7", "no-prefix")
	for num, want := range map[string]string{"а42": "42", "A042": "42", "А0042": "42", "bc-7": "7", "ВС007": "7", "007": "no-prefix",
		"А041": "", "А43": "", "Б042": "", "А": "", "А99999999999999999999": "", "": ""} {
		if got := x.get(num); got != want {
			t.Errorf("get(%q) = %q, want %q", num, got, want)
		}
	}
	x.drop("А042", "other") // a newer ticket holds the number: keep it
	if x.get("А042") != "42" {
		t.Error("drop of another id removed the number")
	}
	x.drop("А042", "42")
	if x.get("А042") != "" {
		t.Error("dropped number still found")
	}
}

// TestCatalogDayMatchesFormat: the cached local date is the date of the
// office's zone for every instant, across midnights and DST changes, asked
// in any order.
func TestCatalogDayMatchesFormat(t *testing.T) {
	// Kathmandu (+5:45) and Adelaide (+9:30, with DST): a cache per hour
	// would give the wrong date there.
	for _, zone := range []string{"Europe/Moscow", "Asia/Vladivostok", "America/Sao_Paulo", "Europe/Berlin", "Asia/Kathmandu", "Australia/Adelaide"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		c := &catalog{loc: loc}
		start := time.Date(2018, 10, 27, 0, 0, 0, 0, time.UTC) // DST ends in Berlin, begins (at midnight) in São Paulo in Nov 2018
		for i := range 24 * 60 {
			at := start.Add(time.Duration(i*7919) * time.Second) // jumps back and forth through days
			if i%5 == 0 {
				at = at.Truncate(15 * time.Minute).Add(-time.Second) // the last second of a quarter
			}
			if i%3 == 0 {
				at = start.Add(time.Duration((24*60-i)*911) * time.Second)
			}
			if got, want := c.day(at), at.In(loc).Format(time.DateOnly); got != want {
				t.Fatalf("%s: day(%v) = %s, want %s", zone, at, got, want)
			}
		}
		for i := range 3 * 24 * 60 { // minute by minute, as a day of commands asks
			at := start.Add(time.Duration(i) * time.Minute)
			if got, want := c.day(at), at.In(loc).Format(time.DateOnly); got != want {
				t.Fatalf("%s: day(%v) = %s, want %s", zone, at, got, want)
			}
		}
	}
}

func TestTicketNumber(t *testing.T) {
	for n, want := range map[int]string{0: "А000", 7: "А007", 42: "А042", 100: "А100", 999: "А999", 1000: "А1000", 123456: "А123456"} {
		if got := ticketNumber("А", n); got != want || got != "А"+fmt.Sprintf("%03d", n) {
			t.Errorf("ticketNumber(А, %d) = %q, want %q", n, got, want)
		}
	}
}

func TestCodeEncodingIsLowerBase32(t *testing.T) {
	for _, b := range [][]byte{{0}, {0xff, 0x10, 0x42}, []byte("16 bytes exactly"), make([]byte, 16)} {
		want := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
		if got := codeEncoding.EncodeToString(b); got != want {
			t.Errorf("code of %x = %q, want %q", b, got, want)
		}
	}
	if c := randomCode(); len(c) != 26 || strings.ToLower(c) != c {
		t.Errorf("randomCode() = %q, want 26 lower-case characters", c)
	}
}
