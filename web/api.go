package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/talon-queue/talon/queue"
)

// op is one API operation: the route, its documentation and the types it
// reads and writes. The OpenAPI document is generated from the list of ops,
// so it cannot drift from what the handlers accept and return.
type op struct {
	Method  string
	Path    string // OpenAPI form: /api/v1/tickets/{id}
	ID      string
	Summary string
	Tag     string
	Public  bool   // no authentication
	Perm    string // the permission the engine checks, for the document
	Query   []param
	In      reflect.Type // request body; nil when none
	Out     reflect.Type // success body
	Status  int
	Errors  []int // error statuses besides 400/401/403/500
	ETag    bool  // the answer carries an ETag; If-None-Match gets 304 when unchanged
}

// param is a documented path or query parameter.
type param struct {
	Name     string
	Doc      string
	Type     string // string, integer, boolean
	Enum     []string
	Required bool
	Min, Max int
}

// none is the body type of operations without a request body.
type none struct{}

// request is what a handler sees of one call.
type request struct {
	c *fiber.Ctx
	p *queue.Principal
	s *Server
}

func (r *request) ctx() context.Context { return r.c.UserContext() }

// meta is the journal context of a command: who, from where, with which key.
func (r *request) meta() queue.Meta {
	return queue.Meta{Principal: r.p, Device: device(r.c), IP: r.s.clientIP(r.c), IdempotencyKey: r.c.Get(headerIdem)}
}

func (r *request) office() string { return r.c.Params("office") }
func (r *request) id() string     { return r.c.Params("id") }

// intParam reads a positive integer path parameter.
func (r *request) intParam(name string) (int, error) {
	v, err := strconv.Atoi(r.c.Params(name))
	if err != nil || v < 1 || v > 9999 {
		return 0, queue.Invalid(name, queue.RuleRange, "min", "1", "max", "9999")
	}
	return v, nil
}

// query reads an optional integer query parameter within [min, max].
func (r *request) intQuery(name string, def, min, max int) (int, error) {
	s := r.c.Query(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < min || v > max {
		return 0, queue.Invalid(name, queue.RuleRange, "min", strconv.Itoa(min), "max", strconv.Itoa(max))
	}
	return v, nil
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// add registers an operation whose handler reads In and returns Out.
func add[In, Out any](s *Server, o op, fn func(r *request, in In) (Out, error)) {
	var in In
	if _, empty := any(in).(none); !empty {
		o.In = reflect.TypeFor[In]()
	}
	o.Out = reflect.TypeFor[Out]()
	if o.Status == 0 {
		o.Status = http.StatusOK
	}
	s.ops = append(s.ops, &o)
	route := pathParam.ReplaceAllString(o.Path, ":$1")
	s.app.Add(o.Method, route, func(c *fiber.Ctx) error {
		r := &request{c: c, s: s}
		if !o.Public {
			p, err := s.authenticate(c)
			if err != nil {
				return err
			}
			r.p = p
		}
		if k := c.Get(headerIdem); len(k) > 200 {
			return queue.Invalid(headerIdem, queue.RuleTooLong, "max", "200")
		}
		var body In
		if o.In != nil {
			if err := decode(c.Body(), &body); err != nil {
				return err
			}
		}
		out, err := fn(r, body)
		if err != nil {
			return err
		}
		if o.ETag {
			return sendTagged(c, o.Status, nonNil(out))
		}
		if a, ok := any(&out).(*queue.TicketView); ok {
			buf := answers.Get().(*[]byte)
			defer answers.Put(buf)
			b, err := a.AppendJSON((*buf)[:0])
			if err != nil {
				return err
			}
			*buf = b
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			c.Response().SetBody(b) // copied into the response's own buffer
			return c.SendStatus(o.Status)
		}
		return c.Status(o.Status).JSON(nonNil(out))
	})
}

// answers are the buffers answers are encoded into before fasthttp copies
// them: no allocation per answer on the busiest routes. Only a TicketView
// (the answer of an issue) takes this way, by its exact type: a type that
// embedded it would inherit AppendJSON and lose its own fields.
var answers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// sendTagged sends v as JSON with a strong ETag of its bytes, or 304 Not
// Modified without a body when the client's If-None-Match has that tag: a
// phone polling its ticket over a poor link gets a few hundred bytes back.
func sendTagged(c *fiber.Ctx, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	c.Set(fiber.HeaderETag, tag)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	for _, t := range strings.Split(c.Get(fiber.HeaderIfNoneMatch), ",") {
		if t = strings.TrimPrefix(strings.TrimSpace(t), "W/"); t == tag {
			return c.SendStatus(http.StatusNotModified)
		}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(status).Send(b)
}

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors, an empty body is the zero value.
func decode(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return queue.Invalid(te.Field, queue.RuleFormat)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return queue.Invalid(strings.Trim(f, `"`), queue.RuleValue)
		}
		var qe *queue.Error
		if errors.As(err, &qe) {
			return qe
		}
		return queue.E(queue.KindInvalid, queue.CodeInvalidRequest)
	}
	if _, err := d.Token(); err != io.EOF {
		return queue.E(queue.KindInvalid, queue.CodeInvalidRequest)
	}
	if t := reflect.TypeOf(v); t.Implements(unmarshalerType) {
		return knownFields(b, t.Elem())
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// knownFields refuses top-level keys the type does not have. The strict
// decoder does that for every other type; types with their own UnmarshalJSON
// (they fill in defaults with a plain decode) need this second look.
func knownFields(b []byte, t reflect.Type) error {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(b, &keys) != nil {
		return nil
	}
	known := map[string]bool{}
	jsonFields(t, known)
	for k := range keys {
		if !known[k] {
			return queue.Invalid(k, queue.RuleValue)
		}
	}
	return nil
}

// jsonFields collects the JSON names of a struct's fields, embedded ones
// flattened.
func jsonFields(t reflect.Type, into map[string]bool) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			jsonFields(f.Type, into)
		case name == "":
			into[f.Name] = true
		default:
			into[name] = true
		}
	}
}

// nonNil turns a nil slice into an empty one, so that lists are [] not null.
func nonNil(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice && rv.IsNil() {
		return reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	}
	return v
}
