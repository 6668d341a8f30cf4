package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/talon-queue/talon/queue"
)

// pathDocs documents the path parameters by name.
var pathDocs = map[string]param{
	"office":   {Doc: "office id", Type: "string"},
	"n":        {Doc: "window number", Type: "integer", Min: 1, Max: 9999},
	"id":       {Doc: "id", Type: "string"},
	"service":  {Doc: "service id", Type: "string"},
	"category": {Doc: "category id", Type: "string"},
	"code":     {Doc: "the unguessable code of the live ticket page", Type: "string"},
}

// enums lists the values of the domain's string types.
func enums() map[reflect.Type][]string {
	m := map[reflect.Type][]string{}
	put := func(t reflect.Type, vals any) {
		v := reflect.ValueOf(vals)
		var out []string
		for i := range v.Len() {
			out = append(out, v.Index(i).String())
		}
		m[t] = out
	}
	put(reflect.TypeFor[queue.Status](), queue.Statuses())
	put(reflect.TypeFor[queue.Purpose](), queue.Purposes())
	put(reflect.TypeFor[queue.BoardLang](), queue.BoardLangs())
	put(reflect.TypeFor[queue.Perm](), queue.AllPerms())
	put(reflect.TypeFor[queue.EventType](), queue.EventTypes())
	put(reflect.TypeFor[queue.Role](), []queue.Role{queue.RoleOperator, queue.RoleManager, queue.RoleAdmin})
	put(reflect.TypeFor[queue.ClientKind](), []queue.ClientKind{queue.ClientAPI, queue.ClientKiosk, queue.ClientBoard, queue.ClientRating, queue.ClientAgent})
	put(reflect.TypeFor[queue.ReportBy](), []queue.ReportBy{queue.ByService, queue.ByWindow, queue.ByOperator, queue.ByHour, queue.ByDay})
	return m
}

// schemas builds JSON Schemas (OpenAPI 3.1 dialect) of Go types as
// components. Response schemas list the fields always present as required;
// request ("…Input") schemas require nothing the engine does not check
// itself and refuse unknown fields, as the decoder does.
type schemas struct {
	defs  map[string]any
	enums map[reflect.Type][]string
}

var timeType = reflect.TypeFor[time.Time]()
var rawType = reflect.TypeFor[json.RawMessage]()

func (g *schemas) ref(t reflect.Type, input bool) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"description": "any JSON value"}
	}
	if vals, ok := g.enums[t]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		return map[string]any{"type": "integer", "format": "int64", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.ref(t.Elem(), input)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.ref(t.Elem(), input)}
	case reflect.Struct:
		name := t.Name()
		if input {
			name += "Input"
		}
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // break cycles
			props, req := map[string]any{}, []string{}
			g.fields(t, input, props, &req)
			sc := map[string]any{"type": "object", "properties": props}
			if d := typeDocs[t.Name()]; d != "" {
				sc["description"] = d
			}
			if input {
				sc["additionalProperties"] = false
			} else if len(req) > 0 {
				slices.Sort(req)
				sc["required"] = req
			}
			g.defs[name] = sc
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	panic(fmt.Sprintf("openapi: no schema for %s", t))
}

func (g *schemas) fields(t reflect.Type, input bool, props map[string]any, req *[]string) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			g.fields(f.Type, input, props, req)
			continue
		}
		if name == "" {
			name = f.Name
		}
		sc := g.ref(f.Type, input)
		optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		nullable := !optional && (f.Type.Kind() == reflect.Pointer || f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Map)
		if nullable && f.Type != rawType {
			sc = map[string]any{"anyOf": []any{sc, map[string]any{"type": "null"}}}
		}
		if d := f.Tag.Get("doc"); d != "" {
			if _, isRef := sc["$ref"]; isRef {
				sc = map[string]any{"allOf": []any{sc}, "description": d}
			} else {
				sc["description"] = d
			}
		}
		props[name] = sc
		if !optional {
			*req = append(*req, name)
		}
	}
}

// typeDocs describes the top-level types in the document.
var typeDocs = map[string]string{
	"Ticket":      "A queue ticket: one visit of one applicant, with every timestamp and its redirect trail",
	"TicketView":  "A ticket with its place in the queue while it waits",
	"Call":        "The result of a call: the ticket, the window and why this ticket was chosen",
	"Event":       "One change of state, with a gap-free per-office sequence number",
	"Office":      "An office (a service centre) with its time zone, hours and queue settings",
	"Service":     "A service or a group of services in the office's catalogue tree",
	"Window":      "A service window and the services it serves, with ranks",
	"Category":    "A priority category of citizens",
	"ErrorBody":   "Every error: a stable code and a message in the caller's language",
	"Explanation": "Why call-next chose a ticket",
}

// openAPI renders the OpenAPI 3.1 document of every registered operation.
func (s *Server) openAPI() ([]byte, error) {
	g := &schemas{defs: map[string]any{}, enums: enums()}
	errRef := g.ref(reflect.TypeFor[ErrorBody](), false)
	paths := map[string]map[string]any{}
	tags := map[string]bool{}
	for _, o := range s.ops {
		item := paths[o.Path]
		if item == nil {
			item = map[string]any{}
			paths[o.Path] = item
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(o.Path, -1) {
			p := pathDocs[m[1]]
			p.Name, p.Required = m[1], true
			params = append(params, paramDoc(p, "path"))
		}
		for _, p := range o.Query {
			params = append(params, paramDoc(p, "query"))
		}
		if o.Method != "GET" && !o.Public {
			params = append(params, map[string]any{"name": headerIdem, "in": "header", "required": false,
				"description": "a retried request with the same key returns the first answer instead of acting twice",
				"schema":      map[string]any{"type": "string", "maxLength": 200}})
		}
		if o.ETag {
			params = append(params, map[string]any{"name": "If-None-Match", "in": "header", "required": false,
				"description": "the ETag of the last answer: 304 without a body when nothing changed",
				"schema":      map[string]any{"type": "string"}})
		}
		params = append(params, map[string]any{"name": "Accept-Language", "in": "header", "required": false,
			"description": "language of error messages: ru (default) or en", "schema": map[string]any{"type": "string"}})
		desc := o.Summary + "."
		if o.Perm != "" {
			desc += " Requires the permission `" + o.Perm + "` in the office."
		}
		resp := map[string]any{
			strconv.Itoa(o.Status): map[string]any{"description": http.StatusText(o.Status),
				"content": map[string]any{"application/json": map[string]any{"schema": g.ref(o.Out, false)}}},
		}
		if o.ETag {
			ok := resp[strconv.Itoa(o.Status)].(map[string]any)
			ok["headers"] = map[string]any{"ETag": map[string]any{"description": "tag of this answer, for If-None-Match",
				"schema": map[string]any{"type": "string"}}}
			resp["304"] = map[string]any{"description": "Not Modified: the answer is the one of the ETag given"}
		}
		codes := []int{400, 500}
		if !o.Public {
			codes = append(codes, 401, 403)
		}
		codes = append(codes, o.Errors...)
		if o.Method != "GET" { // commands go through the engine, which may be stopping
			codes = append(codes, 503)
		}
		if o.In != nil {
			codes = append(codes, 413)
		}
		for _, c := range codes {
			resp[strconv.Itoa(c)] = map[string]any{"description": http.StatusText(c),
				"content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
		}
		opDoc := map[string]any{"operationId": o.ID, "summary": o.Summary, "description": desc,
			"tags": []string{o.Tag}, "parameters": params, "responses": resp}
		if o.Public {
			opDoc["security"] = []any{}
		}
		if o.In != nil {
			opDoc["requestBody"] = map[string]any{"required": false,
				"content": map[string]any{"application/json": map[string]any{"schema": g.ref(o.In, true)}}}
		}
		tags[o.Tag] = true
		item[strings.ToLower(o.Method)] = opDoc
	}
	// The document itself.
	paths["/api/v1/openapi.json"] = map[string]any{"get": map[string]any{
		"operationId": "openapi", "summary": "This OpenAPI document", "description": "This OpenAPI 3.1 document.",
		"tags": []string{"system"}, "security": []any{},
		"responses": map[string]any{"200": map[string]any{"description": "OK",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}},
			"4XX": map[string]any{"description": "Client error",
				"content": map[string]any{"application/json": map[string]any{"schema": errRef}}}},
	}}
	var tagList []any
	for _, t := range sortedKeys(tags) {
		tagList = append(tagList, map[string]any{"name": t, "description": tagDocs[t]})
	}
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": map[string]any{
			"title":   "Talon universal service API",
			"version": s.cfg.Version,
			"description": "The electronic queue of a public-service centre: tickets, windows, calls, pre-bookings, " +
				"statistics and the event feed, for kiosks, boards, operators and the centre's case system (АИС МФЦ). " +
				"Errors are `{\"error\":{\"code\":…,\"message\":…}}`; the message follows Accept-Language (ru, en).",
			"license": map[string]any{"name": "MIT", "identifier": "MIT"},
			"contact": map[string]any{"name": "Talon", "url": "https://github.com/talon-queue/talon"},
		},
		"servers": []any{map[string]any{"url": "/", "description": "this server"}},
		"tags":    tagList,
		"paths":   paths,
		"security": []any{
			map[string]any{"bearer": []string{}},
			map[string]any{"session": []string{}},
		},
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer",
					"description": "a session token from login, an API key or a device token"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": cookieSession,
					"description": "the session cookie set by login; requests that change something also send the X-CSRF-Token header equal to the talon_csrf cookie"},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

var tagDocs = map[string]string{
	"system":   "Health and this document",
	"auth":     "Sessions of people",
	"offices":  "Offices, their catalogue and their day",
	"config":   "Changing the configuration",
	"tickets":  "Tickets: issue, list, act on",
	"windows":  "Windows: call, open, break, close",
	"bookings": "Pre-booked visits",
	"reports":  "Statistics",
	"events":   "The event feed",
	"people":   "People, API keys and devices",
}

func paramDoc(p param, in string) map[string]any {
	sc := map[string]any{"type": p.Type}
	if p.Type == "integer" && p.Max > 0 {
		sc["minimum"], sc["maximum"] = p.Min, p.Max
	}
	if len(p.Enum) > 0 {
		sc["enum"] = p.Enum
	}
	return map[string]any{"name": p.Name, "in": in, "required": p.Required, "description": p.Doc, "schema": sc}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
