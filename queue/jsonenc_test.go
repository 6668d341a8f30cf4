package queue_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
)

// The hand-written encoders must write what json.Marshal writes, byte for
// byte: stored tickets and events, and the API's answers, must not change.

// tricky is in every string the filler writes: Cyrillic, HTML, quotes and
// backslashes, control characters, DEL, the JavaScript line separators and
// invalid UTF-8.
const tricky = "Паспорт <a&b> \"q\" \\ \x01\x1f\b\f\t\n\r\x7f \u2028\u2029 \xff\xed\xa0\x80 "

var msk = time.FixedZone("MSK", 3*3600)

// filler sets every exported field of a value to something non-zero and
// different from every other field, so that a field the encoder forgets,
// misnames or writes out of order shows.
type filler struct {
	t *testing.T
	n int
}

func (f *filler) fill(v reflect.Value, path string) {
	f.n++
	n := f.n
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		tm := time.Date(2025, 3, 14, 9, n%60, 7, n*1_000_003%1_000_000_000, msk)
		if n%2 == 0 {
			tm = tm.UTC().Truncate(time.Second) // and without fraction
		}
		v.Set(reflect.ValueOf(tm))
		return
	case v.Type() == reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte(fmt.Sprintf(` {"%s": [%d, "<&>"]} `, path, n)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(tricky + path)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n%3 == 0 {
			n = -n
		}
		v.SetInt(int64(n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(n) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if sf := v.Type().Field(i); sf.IsExported() {
				f.fill(v.Field(i), path+"."+sf.Name)
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), path)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			f.fill(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		f.fill(k, path+".key")
		f.fill(e, path+".value")
		v.SetMapIndex(k, e)
	default:
		f.t.Fatalf("jsonenc_test: cannot fill %s of kind %s: teach the filler", path, v.Kind())
	}
}

func fullTicket(t *testing.T) *queue.Ticket {
	var tk queue.Ticket
	(&filler{t: t}).fill(reflect.ValueOf(&tk).Elem(), "Ticket")
	return &tk
}

func fullView(t *testing.T) *queue.TicketView {
	var v queue.TicketView
	(&filler{t: t}).fill(reflect.ValueOf(&v).Elem(), "TicketView")
	return &v
}

func fullEvent(t *testing.T) *queue.Event {
	var e queue.Event
	(&filler{t: t}).fill(reflect.ValueOf(&e).Elem(), "Event")
	return &e
}

// sameAsMarshal checks that every encoder agrees with json.Marshal on v,
// which is a *Ticket, *TicketView, *Event or *WindowState.
func sameAsMarshal(t *testing.T, name string, v any) {
	t.Helper()
	want, werr := json.Marshal(v)
	prefix := []byte("prefix:") // AppendJSON appends
	var got []byte
	var gerr error
	switch v := v.(type) {
	case *queue.Ticket:
		got, gerr = v.AppendJSON(prefix)
	case *queue.TicketView:
		got, gerr = v.AppendJSON(prefix)
	case *queue.Event:
		got, gerr = v.AppendJSON(prefix)
	case *queue.WindowState:
		got, gerr = v.AppendJSON(prefix)
	default:
		t.Fatalf("sameAsMarshal(%T)", v)
	}
	if !bytes.HasPrefix(got, prefix) {
		t.Fatalf("%s: AppendJSON lost the bytes before it: %q", name, got)
	}
	got = got[len(prefix):]
	if werr != nil {
		if gerr == nil || gerr.Error() != werr.Error() || len(got) != 0 {
			t.Fatalf("%s: AppendJSON = %q, %v; json.Marshal fails with %v", name, got, gerr, werr)
		}
		return
	}
	if gerr != nil {
		t.Fatalf("%s: AppendJSON failed: %v\njson.Marshal: %s", name, gerr, want)
	}
	if !bytes.Equal(got, want) {
		i := firstDiff(got, want)
		from := max(0, i-120)
		t.Fatalf("%s: AppendJSON differs from json.Marshal at byte %d (shown from byte %d)\n got: %s\nwant: %s",
			name, i, from, got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestJSONEveryField fills every field, recursively, and compares. A field
// added to Ticket, Hop, Step, TicketView, Actor, Event, WindowState,
// Explanation, Factor or Candidate without a line in jsonenc.go fails here.
func TestJSONEveryField(t *testing.T) {
	sameAsMarshal(t, "Ticket", fullTicket(t))
	sameAsMarshal(t, "TicketView", fullView(t))
	sameAsMarshal(t, "Event", fullEvent(t))
	sameAsMarshal(t, "WindowState", fullEvent(t).Window)
	sameAsMarshal(t, "call event", callEvent())

	// The filler must really have set everything, or the test proves little.
	for _, v := range []any{fullTicket(t), fullView(t), fullEvent(t)} {
		forEachField(reflect.ValueOf(v).Elem(), reflect.TypeOf(v).Elem().Name(), func(f reflect.Value, path string) {
			if f.IsZero() {
				t.Errorf("%s is zero after filling", path)
			}
		})
	}
}

// forEachField calls fn on every exported field at every depth of v (a
// struct), through pointers and slice elements, parents before children.
func forEachField(v reflect.Value, path string, fn func(f reflect.Value, path string)) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if sf := v.Type().Field(i); sf.IsExported() {
				p := path + "." + sf.Name
				fn(v.Field(i), p)
				forEachField(v.Field(i), p, fn)
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			forEachField(v.Elem(), path, fn)
		}
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			return
		}
		for i := 0; i < v.Len(); i++ {
			p := fmt.Sprintf("%s[%d]", path, i)
			fn(v.Index(i), p)
			forEachField(v.Index(i), p, fn)
		}
	}
}

// TestJSONEachFieldEmpty empties one field at a time, at every depth, of a
// full value: the omitempty and omitzero cases, empty against nil slices,
// zero times with and without a location, and a time with a monotonic
// reading.
func TestJSONEachFieldEmpty(t *testing.T) {
	empties := func(typ reflect.Type) (vs []reflect.Value, names []string) {
		vs, names = append(vs, reflect.Zero(typ)), append(names, "zero")
		switch {
		case typ.Kind() == reflect.Slice:
			vs, names = append(vs, reflect.MakeSlice(typ, 0, 0)), append(names, "empty")
		case typ == reflect.TypeFor[time.Time]():
			vs = append(vs, reflect.ValueOf(time.Time{}.In(msk)), reflect.ValueOf(time.Now()),
				reflect.ValueOf(time.Unix(0, 0)), reflect.ValueOf(time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -(23*3600+59*60)))))
			names = append(names, "zero in MSK", "now", "epoch", "max")
		}
		return vs, names
	}
	for _, full := range []any{fullTicket(t), fullView(t), fullEvent(t)} {
		root := reflect.ValueOf(full).Elem()
		forEachField(root, root.Type().Name(), func(f reflect.Value, path string) {
			old := reflect.New(f.Type()).Elem()
			old.Set(f)
			vs, names := empties(f.Type())
			for i, v := range vs {
				f.Set(v)
				sameAsMarshal(t, path+" = "+names[i], full)
			}
			f.Set(old)
		})
	}
}

// TestJSONOneField sets one top-level field of an empty value at a time.
func TestJSONOneField(t *testing.T) {
	for _, full := range []any{fullTicket(t), fullView(t), fullEvent(t)} {
		src := reflect.ValueOf(full).Elem()
		for i := 0; i < src.NumField(); i++ {
			one := reflect.New(src.Type())
			one.Elem().Field(i).Set(src.Field(i))
			sameAsMarshal(t, src.Type().Name()+"."+src.Type().Field(i).Name+" alone", one.Interface())
		}
	}
}

func TestJSONZeroAndPartial(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 30, 0, 0, msk)
	issued := &queue.Ticket{ID: "1", Office: "o", Number: "А001", Day: "2025-03-14", Service: "s",
		Source: queue.SourceKiosk, Status: queue.StatusWaiting, IssuedAt: at, QueuedAt: at, QueueKey: at}
	cases := []struct {
		name string
		v    any
	}{
		{"nil ticket", (*queue.Ticket)(nil)},
		{"nil view", (*queue.TicketView)(nil)},
		{"nil event", (*queue.Event)(nil)},
		{"zero ticket", &queue.Ticket{}},
		{"zero view", &queue.TicketView{}},
		{"zero event", &queue.Event{}},
		{"issued", issued},
		{"empty slices", &queue.Ticket{Steps: []string{}, Returns: []string{}, Trail: []queue.Hop{}, History: []queue.Step{}}},
		{"empty strings in slices", &queue.Ticket{Steps: []string{""}, Returns: []string{"", ""}}},
		{"zero hop and step", &queue.Ticket{Trail: []queue.Hop{{}}, History: []queue.Step{{}, {}}}},
		{"zero time in a zone", &queue.Ticket{CalledAt: time.Time{}.In(msk), IssuedAt: time.Time{}.In(msk)}},
		{"view", &queue.TicketView{Ticket: *issued, Position: 3, EstimatedWait: 12}},
		{"view negative", &queue.TicketView{Position: -1, EstimatedWait: -7}},
		{"event only window", &queue.Event{Window: &queue.WindowState{Number: 2, Since: at}}},
		{"event zero window", &queue.Event{Window: &queue.WindowState{}}},
		{"event only booking", &queue.Event{Booking: &queue.Booking{ID: "b", At: at}}},
		{"event only why", &queue.Event{Why: &queue.Explanation{Rule: "score", Score: 1e21}}},
		{"why empty lists", &queue.Event{Why: &queue.Explanation{Factors: []queue.Factor{}, Others: []queue.Candidate{}}}},
		{"why zero items", &queue.Event{Why: &queue.Explanation{Factors: []queue.Factor{{}}, Others: []queue.Candidate{{}, {}}}}},
		{"nil window", (*queue.WindowState)(nil)},
		{"zero window", &queue.WindowState{}},
		{"event only config", &queue.Event{Config: &queue.ConfigEntry{Kind: "office", Data: json.RawMessage(`{ "a" : "<>" }`)}}},
		{"event only print", &queue.Event{Print: &queue.PrintReport{}}},
		{"event only reason", &queue.Event{Reason: "day_end"}},
		{"event max seq", &queue.Event{Seq: 1<<64 - 1, Ticket: &queue.Ticket{}}},
		{"event issued", &queue.Event{Seq: 7, Office: "o", Type: queue.EventTicketIssued, At: at, Day: "2025-03-14",
			Actor: queue.Actor{Kind: "client", ID: "kiosk-1"}, Ticket: issued}},
	}
	for _, c := range cases {
		sameAsMarshal(t, c.name, c.v)
	}
}

// TestJSONFloats runs scores at the edges of encoding/json's two formats
// (plain below 1e21 and from 1e-6, exponent outside), and numbers whose
// shortest form is long, through every float field.
func TestJSONFloats(t *testing.T) {
	fs := []float64{0, math.Copysign(0, -1), 1, -1, 0.25, 0.1, 1.0 / 3, -2.5, 100, 1e6, 123456789.125,
		1e20, 9.999999999999999e20, 1e21, -1e21, 1.5e300, math.MaxFloat64, -math.MaxFloat64,
		1e-6, 9.99999e-7, 1e-7, -1e-7, 1.234e-9, 1e-10, 1e-100, 5e-324, math.SmallestNonzeroFloat64 * 3}
	for _, f := range fs {
		sameAsMarshal(t, fmt.Sprint("score ", f), &queue.Event{Why: &queue.Explanation{Score: f}})
		sameAsMarshal(t, fmt.Sprint("points ", f), &queue.Event{Why: &queue.Explanation{Factors: []queue.Factor{{Points: f}}}})
		sameAsMarshal(t, fmt.Sprint("other ", f), &queue.Event{Why: &queue.Explanation{Others: []queue.Candidate{{Score: f}}}})
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		sameAsMarshal(t, fmt.Sprint("score ", f), &queue.Event{Why: &queue.Explanation{Score: f}})
		sameAsMarshal(t, fmt.Sprint("points ", f), &queue.Event{Why: &queue.Explanation{Factors: []queue.Factor{{Points: 1}, {Points: f}}}})
		sameAsMarshal(t, fmt.Sprint("other ", f), &queue.Event{Why: &queue.Explanation{Others: []queue.Candidate{{Score: f}}}})
	}
}

// TestJSONStrings runs every byte, every pair of bytes from an interesting
// set, and runes at the edges of UTF-8 through a string field.
func TestJSONStrings(t *testing.T) {
	check := func(s string) {
		t.Helper()
		tk := &queue.Ticket{ID: s}
		want, _ := json.Marshal(tk)
		if got, _ := tk.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	}
	for c := range 256 {
		check(string([]byte{byte(c)}))
		check("a" + string([]byte{byte(c)}) + "Ж")
	}
	var some []byte
	for c := range 256 {
		if c < 0x21 || c > 0x7d || strings.ContainsRune(`"&<>\`, rune(c)) || c%17 == 0 {
			some = append(some, byte(c))
		}
	}
	for _, a := range some {
		for _, b := range some {
			check(string([]byte{a, b}))
		}
	}
	for _, r := range []rune{0x7f, 0x80, 0x7ff, 0x800, 0x2027, 0x2028, 0x2029, 0x202a, 0xd7ff, 0xe000, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x10ffff} {
		check(string(r))
		check(" " + string(r) + string(r) + "<")
	}
	for _, s := range []string{"\xed\xa0\x80", "\xc0\x80", "\xe2\x80", "\xe2\x80\xa8\xe2", "\xf4\x90\x80\x80", "\xf0\x9f\x98", "😀", ""} {
		check(s)
	}
}

// TestJSONTimeOutOfRange: json.Marshal refuses times that RFC 3339 cannot
// write; AppendJSON returns its very error and appends nothing.
func TestJSONTimeOutOfRange(t *testing.T) {
	bad := []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("", -100*3600)),
	}
	for _, tm := range bad {
		hop := &queue.Ticket{Trail: []queue.Hop{{At: tm}}}
		called := &queue.Ticket{CalledAt: tm}
		for _, v := range []any{
			hop, called, &queue.TicketView{Ticket: *called},
			&queue.Event{At: tm},
			&queue.Event{Ticket: hop},
			&queue.Event{Ticket: &queue.Ticket{History: []queue.Step{{FinishedAt: tm}}}},
			&queue.Event{Window: &queue.WindowState{Since: tm}},
			&queue.WindowState{Since: tm},
			&queue.Event{Booking: &queue.Booking{Created: tm}, Ticket: &queue.Ticket{}},
		} {
			if _, err := json.Marshal(v); err == nil {
				t.Fatalf("json.Marshal(%v) no longer fails: make AppendJSON write it", tm)
			}
			sameAsMarshal(t, tm.String(), v) // json.Marshal's error
		}
	}
	e := &queue.Event{Seq: 1, Ticket: &queue.Ticket{IssuedAt: bad[0]}}
	b, err := e.AppendJSON([]byte("keep"))
	if err == nil || string(b) != "keep" {
		t.Errorf("AppendJSON = %q, %v; want the input back and an error", b, err)
	}
	sameAsMarshal(t, "NaN score", &queue.Event{Why: &queue.Explanation{Score: math.NaN()}})
}

func FuzzTicketJSON(f *testing.F) {
	f.Add("Паспорт", "<a&b>", "\x01\t\n", 1, 2, int64(1741939200), int64(123456789), 3*3600, true)
	f.Add("\u2028", "\xff", "", -5, 0, int64(-62135596800), int64(0), 0, false)
	f.Add("", "\"\\", "\x7f", 1<<62, -1<<62, int64(253402300800), int64(1), 24*3600, true)
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, n1, n2 int, sec, nsec int64, off int, flag bool) {
		at := time.Unix(sec, nsec).In(time.FixedZone(s3, off))
		tk := &queue.Ticket{ID: s1, Office: s2, Number: s3, Day: s1 + s2, Service: s2 + s3,
			Purpose: queue.Purpose(s3), Source: queue.Source(s1), Status: queue.Status(s2),
			IssuedAt: at, QueuedAt: at.UTC(), QueueKey: at.Add(time.Duration(n1)),
			Window: n1, Recalls: n2, BoundWindow: n1 ^ n2, Printed: flag,
			Steps: strings.Split(s1, "a"), Returns: []string{s3},
			Trail:   []queue.Hop{{At: at, FromService: s2, FromWindow: n2, By: s3, KeepPlace: flag, Reason: s1}},
			History: []queue.Step{{Service: s1, Window: n1, Comment: s2, FinishedAt: at}}}
		if flag {
			tk.CalledAt, tk.Phone, tk.Reason = at, s2, s3
		} else {
			tk.Trail, tk.History, tk.Steps = nil, []queue.Step{}, nil
		}
		sameAsMarshal(t, "ticket", tk)
		sameAsMarshal(t, "view", &queue.TicketView{Ticket: *tk, Position: n1, EstimatedWait: n2})
		e := &queue.Event{Seq: uint64(sec), Office: s2, Type: queue.EventType(s3), At: at, Day: s1,
			Actor: queue.Actor{Kind: s1, ID: s2, Name: s3, IP: s1}, Ticket: tk, Reason: s2}
		if !flag {
			e.Window = &queue.WindowState{Office: s1, Number: n1, Since: at, Reason: s3}
			e.Why = &queue.Explanation{Rule: s2, Score: float64(n1) / float64(n2|1),
				Factors: []queue.Factor{{Name: s3, Value: s1, Points: float64(sec) * 1e-9}},
				Others:  []queue.Candidate{{Ticket: s1, Number: s3, Score: float64(nsec) * 1e12}}}
		}
		sameAsMarshal(t, "event", e)
	})
}

// TestJSONAllocs: into a buffer with room, nothing is allocated; into nil,
// one allocation of about the right size.
func TestJSONAllocs(t *testing.T) {
	tk := issuedTicket()
	ev := &queue.Event{Seq: 1, Type: queue.EventTicketIssued, Actor: queue.Actor{Kind: "client", ID: "k"}, Ticket: tk}
	call := callEvent()
	buf := make([]byte, 0, 4096)
	for name, f := range map[string]func(){
		"Ticket into buf":     func() { tk.AppendJSON(buf) },
		"Event into buf":      func() { ev.AppendJSON(buf) },
		"call Event into buf": func() { call.AppendJSON(buf) },
		"Window into buf":     func() { call.Window.AppendJSON(buf) },
		"Ticket into nil":     func() { tk.AppendJSON(nil) },
		"Event into nil":      func() { ev.AppendJSON(nil) },
		"call Event into nil": func() { call.AppendJSON(nil) },
		"Window into nil":     func() { call.Window.AppendJSON(nil) },
	} {
		want := 0.0
		if strings.HasSuffix(name, "nil") {
			want = 1
		}
		if n := testing.AllocsPerRun(100, f); n > want {
			t.Errorf("%s: %v allocations, want %v", name, n, want)
		}
	}
}

// issuedTicket is a ticket as Issue returns it.
func issuedTicket() *queue.Ticket {
	now := time.Date(2025, 3, 14, 10, 42, 17, 123456789, msk)
	return &queue.Ticket{
		ID: "1741938137123456", Office: "mfc-central", Number: "П042", Day: "2025-03-14",
		Service: "passport-rf", Purpose: queue.PurposeSubmit, Category: "veteran",
		Source: queue.SourceKiosk, Code: "1741938137123456-x7Kq9ZpR2m", IssuedBy: "kiosk-hall-1",
		Status: queue.StatusWaiting, IssuedAt: now, QueuedAt: now, QueueKey: now,
		Steps: []string{"passport-photo"},
	}
}

// callEvent is the event of a call-next, with the window and the explanation.
func callEvent() *queue.Event {
	tk := issuedTicket()
	at := tk.IssuedAt.Add(9 * time.Minute)
	tk.Status, tk.CalledAt, tk.Window, tk.Operator = queue.StatusCalled, at, 4, "op-ivanova"
	return &queue.Event{Seq: 123457, Office: tk.Office, Type: queue.EventTicketCalled, At: at, Day: tk.Day,
		Actor: queue.Actor{Kind: "user", ID: "op-ivanova", Name: "Иванова А. С.", IP: "10.0.0.34"}, Ticket: tk,
		Window: &queue.WindowState{Office: tk.Office, Number: 4, Status: queue.WindowOpen, Operator: "op-ivanova", Ticket: tk.ID, Since: at},
		Why: &queue.Explanation{Rule: "score", Score: 21.5, Factors: []queue.Factor{
			{Name: "waited", Value: "9", Points: 9}, {Name: "category", Value: "veteran", Points: 10},
			{Name: "rank", Value: "1", Points: 2.5}},
			Others: []queue.Candidate{{Ticket: "1741938137123457", Number: "П043", Score: 12.25},
				{Ticket: "1741938137123458", Number: "Т007", Score: 8}}}}
}

func BenchmarkTicketJSON(b *testing.B) {
	tk := issuedTicket()
	view := &queue.TicketView{Ticket: *tk, Position: 5, EstimatedWait: 14}
	ev := &queue.Event{Seq: 123456, Office: tk.Office, Type: queue.EventTicketIssued, At: tk.IssuedAt,
		Day: tk.Day, Actor: queue.Actor{Kind: "client", ID: "kiosk-hall-1", Name: "Киоск, зал 1", Device: "kiosk-hall-1", IP: "10.0.0.21"},
		Ticket: tk}
	var buf []byte
	for _, c := range []struct {
		name string
		v    interface{ AppendJSON([]byte) ([]byte, error) }
	}{{"Ticket", tk}, {"TicketView", view}, {"Event", ev}, {"CallEvent", callEvent()}} {
		b.Run(c.name+"/AppendJSON", func(b *testing.B) { // into a reused buffer
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = c.v.AppendJSON(buf[:0])
			}
		})
		b.Run(c.name+"/AppendJSON-nil", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = c.v.AppendJSON(nil)
			}
		})
		b.Run(c.name+"/json.Marshal", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = json.Marshal(c.v)
			}
		})
	}
}
