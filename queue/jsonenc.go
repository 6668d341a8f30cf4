package queue

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Hand-written JSON for the hot path. Every issued or changed ticket is
// encoded for the store as a Ticket and again inside its Event, and once more
// for the HTTP answer; with encoding/json's reflection that was about 15% of
// the server's CPU. The encoders below write the same bytes as json.Marshal,
// byte for byte, so nothing stored or served changes: jsonenc_test.go fills
// every field by reflection and compares against json.Marshal, so a field
// added to Ticket, Hop, Step, Actor, Event, WindowState or Explanation without
// a line here fails it.

// AppendJSON appends the JSON encoding of t to b: exactly what json.Marshal(t)
// gives, without reflection, allocating at most once (when b lacks room).
// It fails where json.Marshal fails (a time RFC 3339 cannot write: a year
// outside 0..9999, a zone offset of 24 hours or more), with its error, and
// then returns b unchanged.
func (t *Ticket) AppendJSON(b []byte) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	w := jsonw{b: growJSON(b, t.jsonSize())}
	w.open()
	w.ticket(t)
	w.close()
	return w.result(b, t)
}

// AppendJSON appends the JSON encoding of v to b, exactly as json.Marshal(v):
// the embedded Ticket's fields, then the view's own. It fails as
// Ticket.AppendJSON does.
func (v *TicketView) AppendJSON(b []byte) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	w := jsonw{b: growJSON(b, v.jsonSize()+64)}
	w.open()
	w.ticket(&v.Ticket)
	w.intOmit("position", v.Position)
	w.intOmit("estimated_wait_minutes", v.EstimatedWait)
	w.close()
	return w.result(b, v)
}

// AppendJSON appends the JSON encoding of e to b, exactly as json.Marshal(e).
// The ticket, window and explanation (every call carries the last two) are
// written by hand; the rarer booking, configuration and print report go
// through json.Marshal. On error, which json.Marshal(e) would return too (a
// time out of RFC 3339's range, a NaN score), b is returned unchanged with
// json.Marshal's error.
func (e *Event) AppendJSON(b []byte) ([]byte, error) {
	if e == nil {
		return append(b, "null"...), nil
	}
	n := 192 + len(e.Actor.Name) + len(e.Reason)
	if e.Ticket != nil {
		n += e.Ticket.jsonSize()
	}
	if e.Window != nil {
		n += e.Window.jsonSize()
	}
	if e.Why != nil {
		n += 64 + 64*len(e.Why.Factors) + 96*len(e.Why.Others)
	}
	w := jsonw{b: growJSON(b, n)}
	w.open()
	w.uint("seq", e.Seq)
	w.str("office", e.Office)
	w.str("type", string(e.Type))
	w.time("at", e.At)
	w.str("day", e.Day)
	w.key("actor")
	w.actor(&e.Actor)
	if e.Ticket != nil {
		w.key("ticket")
		w.open()
		w.ticket(e.Ticket)
		w.close()
	}
	if e.Window != nil {
		w.key("window")
		w.window(e.Window)
	}
	if e.Booking != nil {
		w.marshal("booking", e.Booking)
	}
	if e.Why != nil {
		w.key("why")
		w.why(e.Why)
	}
	if e.Config != nil {
		w.marshal("config", e.Config)
	}
	if e.Print != nil {
		w.marshal("print", e.Print)
	}
	w.strOmit("reason", e.Reason)
	w.close()
	return w.result(b, e)
}

// AppendJSON appends the JSON encoding of ws to b, exactly as
// json.Marshal(ws); it fails as Ticket.AppendJSON does. The store writes a
// window's state at every call and finish. A type that embeds WindowState
// inherits this method and would lose its own fields: call it only on a
// *WindowState itself.
func (ws *WindowState) AppendJSON(b []byte) ([]byte, error) {
	if ws == nil {
		return append(b, "null"...), nil
	}
	w := jsonw{b: growJSON(b, ws.jsonSize())}
	w.window(ws)
	return w.result(b, ws)
}

func (ws *WindowState) jsonSize() int {
	return 128 + len(ws.Office) + len(ws.Operator) + len(ws.Ticket) + len(ws.Reason)
}

// result returns what was written, or, when a value was refused, lets
// encoding/json have the last word on v, so that the error (or, were our
// checks ever stricter than its, the bytes) is exactly its own; b comes back
// unchanged with the error.
func (w *jsonw) result(b []byte, v any) ([]byte, error) {
	if w.err == nil {
		return w.b, nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, out...), nil
}

// jsonSize guesses the length of t's JSON, a little over for a usual ticket,
// so that appending to a nil or short slice allocates once rather than
// growing it several times over.
func (t *Ticket) jsonSize() int {
	return 512 + 256*len(t.Trail) + 384*len(t.History) + 32*(len(t.Steps)+len(t.Returns)) +
		len(t.Phone) + len(t.Operator) + len(t.Reason)
}

// growJSON makes room for n more bytes in one allocation. (slices.Grow
// allocates twice when built with -race.)
func growJSON(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

// ticket writes t's fields, in the struct's order, into an open object.
func (w *jsonw) ticket(t *Ticket) {
	w.str("id", t.ID)
	w.str("office", t.Office)
	w.str("number", t.Number)
	w.str("day", t.Day)
	w.str("service", t.Service)
	w.strOmit("purpose", string(t.Purpose))
	w.strOmit("category", t.Category)
	w.str("source", string(t.Source))
	w.strOmit("case_id", t.CaseID)
	w.strOmit("phone", t.Phone)
	w.strOmit("code", t.Code)
	w.strOmit("booking", t.Booking)
	w.strOmit("issued_by", t.IssuedBy)
	w.boolOmit("printed", t.Printed)
	w.str("status", string(t.Status))

	w.timeOmitZero("appointment_at", t.AppointmentAt)
	w.time("issued_at", t.IssuedAt)
	w.time("queued_at", t.QueuedAt)
	w.time("queue_key", t.QueueKey)
	w.timeOmitZero("called_at", t.CalledAt)
	w.timeOmitZero("started_at", t.StartedAt)
	w.timeOmitZero("postponed_until", t.PostponedUntil)
	w.timeOmitZero("closed_at", t.ClosedAt)

	w.intOmit("window", t.Window)
	w.strOmit("operator", t.Operator)
	w.intOmit("recalls", t.Recalls)
	w.intOmit("bound_window", t.BoundWindow)

	w.stringsOmit("steps", t.Steps)
	w.stringsOmit("returns", t.Returns)
	if len(t.Trail) > 0 {
		w.key("trail")
		w.list(len(t.Trail), func(i int) { w.hop(&t.Trail[i]) })
	}
	if len(t.History) > 0 {
		w.key("history")
		w.list(len(t.History), func(i int) { w.step(&t.History[i]) })
	}
	w.strOmit("reason", t.Reason)
}

func (w *jsonw) hop(h *Hop) {
	w.open()
	w.time("at", h.At)
	w.str("from_service", h.FromService)
	w.intOmit("from_window", h.FromWindow)
	w.str("to_service", h.ToService)
	w.intOmit("to_window", h.ToWindow)
	w.str("by", h.By)
	w.boolOmit("keep_place", h.KeepPlace)
	w.boolOmit("return", h.Return)
	w.strOmit("reason", h.Reason)
	w.close()
}

func (w *jsonw) step(s *Step) {
	w.open()
	w.str("service", s.Service)
	w.int("window", s.Window)
	w.strOmit("operator", s.Operator)
	w.strOmit("result", s.Result)
	w.strOmit("comment", s.Comment)
	w.time("queued_at", s.QueuedAt)
	w.time("called_at", s.CalledAt)
	w.time("started_at", s.StartedAt)
	w.time("finished_at", s.FinishedAt)
	w.close()
}

func (w *jsonw) window(ws *WindowState) {
	w.open()
	w.str("office", ws.Office)
	w.int("number", ws.Number)
	w.str("status", string(ws.Status))
	w.strOmit("operator", ws.Operator)
	w.strOmit("ticket", ws.Ticket)
	w.time("since", ws.Since)
	w.strOmit("reason", ws.Reason)
	w.close()
}

func (w *jsonw) why(x *Explanation) {
	w.open()
	w.str("rule", x.Rule)
	w.float("score", x.Score)
	w.key("factors")
	if x.Factors == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.list(len(x.Factors), func(i int) {
			f := &x.Factors[i]
			w.open()
			w.str("name", f.Name)
			w.str("value", f.Value)
			w.float("points", f.Points)
			w.close()
		})
	}
	if len(x.Others) > 0 {
		w.key("others")
		w.list(len(x.Others), func(i int) {
			c := &x.Others[i]
			w.open()
			w.str("ticket", c.Ticket)
			w.str("number", c.Number)
			w.float("score", c.Score)
			w.close()
		})
	}
	w.close()
}

func (w *jsonw) actor(a *Actor) {
	w.open()
	w.str("kind", a.Kind)
	w.str("id", a.ID)
	w.strOmit("name", a.Name)
	w.strOmit("device", a.Device)
	w.strOmit("ip", a.IP)
	w.close()
}

// jsonw writes JSON objects into b. A key is preceded by a comma unless it is
// the first in its object, which is known from the '{' just before it: no
// value ends in '{'. Keys are written as given: they are the struct tags'
// names, which need no escaping.
type jsonw struct {
	b   []byte
	err error // the first value json.Marshal would have refused
}

func (w *jsonw) open()  { w.b = append(w.b, '{') }
func (w *jsonw) close() { w.b = append(w.b, '}') }

func (w *jsonw) key(k string) {
	if n := len(w.b); n > 0 && w.b[n-1] != '{' {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonw) str(k, s string) {
	w.key(k)
	w.b = appendJSONString(w.b, s)
}

// strOmit writes a string field tagged omitempty.
func (w *jsonw) strOmit(k, s string) {
	if s != "" {
		w.str(k, s)
	}
}

// stringsOmit writes a []string field tagged omitempty: nil and empty are
// both left out.
func (w *jsonw) stringsOmit(k string, ss []string) {
	if len(ss) == 0 {
		return
	}
	w.key(k)
	w.list(len(ss), func(i int) { w.b = appendJSONString(w.b, ss[i]) })
}

// list writes a JSON array of n values, each written by value(i).
func (w *jsonw) list(n int, value func(i int)) {
	w.b = append(w.b, '[')
	for i := range n {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		value(i)
	}
	w.b = append(w.b, ']')
}

func (w *jsonw) int(k string, n int) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, int64(n), 10)
}

// intOmit writes an int field tagged omitempty.
func (w *jsonw) intOmit(k string, n int) {
	if n != 0 {
		w.int(k, n)
	}
}

func (w *jsonw) uint(k string, n uint64) {
	w.key(k)
	w.b = strconv.AppendUint(w.b, n, 10)
}

// boolOmit writes a bool field tagged omitempty.
func (w *jsonw) boolOmit(k string, v bool) {
	if v {
		w.key(k)
		w.b = append(w.b, "true"...)
	}
}

var errJSONFloat = errors.New("queue: NaN or infinite number")

// float writes f as encoding/json writes a float64: the shortest decimal
// that reads back as f, in exponent form below 1e-6 and from 1e21 (with
// "e-7", not "e-07"). NaN and the infinities are refused, as json.Marshal
// refuses them.
func (w *jsonw) float(k string, f float64) {
	w.key(k)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		if w.err == nil {
			w.err = errJSONFloat
		}
		w.b = append(w.b, '0')
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if n := len(w.b); format == 'e' && n >= 4 && w.b[n-4] == 'e' && w.b[n-3] == '-' && w.b[n-2] == '0' {
		w.b[n-2] = w.b[n-1]
		w.b = w.b[:n-1]
	}
}

// time writes t as time.Time.MarshalJSON does.
func (w *jsonw) time(k string, t time.Time) {
	w.key(k)
	var err error
	w.b, err = appendJSONTime(w.b, t)
	if err != nil && w.err == nil {
		w.err = err
	}
}

// timeOmitZero writes a time field tagged omitzero: encoding/json leaves it
// out when t.IsZero(), whatever its location.
func (w *jsonw) timeOmitZero(k string, t time.Time) {
	if !t.IsZero() {
		w.time(k, t)
	}
}

// marshal writes v with encoding/json, for the fields too rare to write by
// hand.
func (w *jsonw) marshal(k string, v any) {
	if w.err != nil {
		return // the result is thrown away
	}
	out, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	w.key(k)
	w.b = append(w.b, out...)
}

var errJSONTime = errors.New("queue: time outside of RFC 3339")

// appendJSONTime appends t as time.Time.MarshalJSON does: RFC3339Nano in
// quotes. It reports an error where MarshalJSON does (a year that is not four
// digits, a zone offset hour outside 0..23), having appended the time anyway.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	var err error
	// The checks of time.Time.appendStrictRFC3339.
	switch {
	case b[n0+len("9999")] != '-':
		err = errJSONTime
	case b[len(b)-1] != 'Z':
		c := b[len(b)-len("Z07:00")]
		h := b[len(b)-len("07:00"):]
		if '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			err = errJSONTime
		}
	}
	return append(b, '"'), err
}

// jsonSafe[c] reports whether the ASCII byte c is written as is inside a JSON
// string by encoding/json with HTML escaping on (its htmlSafeSet): not a
// control character, not '"' or '\\', and not '<', '>' or '&'. DEL is safe.
var jsonSafe = func() (s [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		s[c] = true
	}
	s['"'], s['\\'], s['<'], s['>'], s['&'] = false, false, false, false, false
	return s
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json does
// (appendString with escapeHTML): '"' and '\\' backslashed; \b \f \n \r \t as
// such; other control characters and '<' '>' '&' as \u00XX; each byte of
// invalid UTF-8 as \ufffd; U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
