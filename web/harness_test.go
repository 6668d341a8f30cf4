package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/talon-queue/talon/integrations/escpos"
	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
	"github.com/talon-queue/talon/queue/queuetest"
	"github.com/talon-queue/talon/web"
)

// server is a real Talon web server on 127.0.0.1 over a real bbolt file,
// with the test office of queuetest, passwords for its people and a kiosk,
// a board and an API key.
type server struct {
	t      *testing.T
	env    *queuetest.Env
	srv    *web.Server
	URL    string
	Kiosk  string // device token
	Board  string // device token
	APIKey string // every scope, every office
	router routers.Router
}

const password = "correct horse battery"

func mustServer(t *testing.T) *server {
	t.Helper()
	return mustServerWith(t, nil)
}

// mustServerWith is mustServer with its web configuration changed by tune.
func mustServerWith(t *testing.T, tune func(*web.Config)) *server {
	t.Helper()
	env := queuetest.MustOpen(t, bolt.Options{})
	env.MustSetup()
	ctx := context.Background()
	hash, err := web.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"op1", "op2", "op3", "op4", "boss"} {
		if _, err := env.Q.SetPassword(ctx, queuetest.Admin(), id, hash); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Q.PutUser(ctx, queuetest.Admin(), queue.User{ID: "root", Login: "root", Name: "Админ", Role: queue.RoleAdmin, Active: true}, queue.Create, hash); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, env: env}
	mk := func(c queue.Client) string {
		tok, err := env.Q.CreateClient(ctx, queuetest.Admin(), c)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	s.Kiosk = mk(queue.Client{ID: "kiosk-1", Name: "Киоск 1", Kind: queue.ClientKiosk, Office: "test", Active: true})
	s.Board = mk(queue.Client{ID: "board-1", Name: "Табло", Kind: queue.ClientBoard, Office: "test", Active: true})
	s.APIKey = mk(queue.Client{ID: "ais", Name: "АИС МФЦ", Kind: queue.ClientAPI, Scopes: queue.AllPerms(), Active: true})

	cfg := s.config()
	if tune != nil {
		tune(&cfg)
	}
	s.srv, err = web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.srv.Shutdown(ctx)
	})
	s.URL = "http://" + ln.Addr().String()
	s.router = s.loadSpec()
	return s
}

// config is the web configuration of the test server: the engine, its clock
// and the ESC/POS adapter for kiosks' network printers (quick timeouts).
func (s *server) config() web.Config {
	s.t.Helper()
	printers, err := escpos.NewNetwork()
	if err != nil {
		s.t.Fatal(err)
	}
	printers.Settle, printers.ReplyTimeout = 0, 500*time.Millisecond
	return web.Config{Queue: s.env.Q, Version: "test", Now: s.env.Clock.Now, Printers: printers}
}

// loadSpec fetches the served OpenAPI document and checks that it is valid.
func (s *server) loadSpec() routers.Router {
	s.t.Helper()
	res, err := http.Get(s.URL + "/api/v1/openapi.json")
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		s.t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		s.t.Fatalf("openapi.json is not valid: %v", err)
	}
	doc.Servers = nil
	r, err := legacy.NewRouter(doc)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// client is one caller: a bearer token or a cookie session.
type client struct {
	s     *server
	token string
	lang  string
	http  *http.Client
	csrf  bool // send the CSRF cookie back in the header
}

func (s *server) as(token string) *client {
	return &client{s: s, token: token, http: &http.Client{Transport: &validating{s: s, next: http.DefaultTransport}}}
}

// login logs a person in and returns a client with their bearer token.
func (s *server) login(login string) *client {
	s.t.Helper()
	var sess queue.Session
	if st := s.as("").do("POST", "/api/v1/auth/login", map[string]string{"login": login, "password": password}, &sess); st != 200 {
		s.t.Fatalf("login %s: %d", login, st)
	}
	return s.as(sess.Token)
}

// cookieClient logs in through the cookie session, as a page does.
func (s *server) cookieClient(login string) *client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{s: s, http: &http.Client{Jar: jar, Transport: &validating{s: s, next: http.DefaultTransport}}}
	if st := c.do("POST", "/api/v1/auth/login", map[string]string{"login": login, "password": password}, nil); st != 200 {
		s.t.Fatalf("login %s: %d", login, st)
	}
	return c
}

// do sends a JSON request and decodes a JSON answer into out (when not
// nil); it returns the status.
func (c *client) do(method, path string, body, out any) int {
	c.s.t.Helper()
	st, b := c.raw(method, path, body, nil)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.s.t.Fatalf("%s %s: %d %s: %v", method, path, st, b, err)
		}
	}
	return st
}

// raw sends a request with extra headers and returns the status and body.
func (c *client) raw(method, path string, body any, hdr map[string]string) (int, []byte) {
	c.s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.s.URL+path, rd)
	if err != nil {
		c.s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	if c.csrf && c.http.Jar != nil {
		for _, ck := range c.http.Jar.Cookies(req.URL) {
			if ck.Name == "talon_csrf" {
				req.Header.Set("X-CSRF-Token", ck.Value)
			}
		}
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.s.t.Fatal(err)
	}
	return res.StatusCode, b
}

// apiError decodes an error body.
func apiError(t *testing.T, b []byte) web.ErrorDetail {
	t.Helper()
	var e web.ErrorBody
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not an error body: %s", b)
	}
	return e.Error
}

// validating checks every request and response against the served OpenAPI
// document, as a validating proxy in front of Talon would.
type validating struct {
	s    *server
	next http.RoundTripper
	mu   sync.Mutex
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	if err := v.check(req, reqBody, res, resBody); err != nil {
		v.s.t.Errorf("OpenAPI contract: %s %s → %d: %v\nrequest: %s\nresponse: %s", req.Method, req.URL.Path, res.StatusCode, err, reqBody, resBody)
	}
	return res, nil
}

func (v *validating) check(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) error {
	if req.URL.Path == "/api/v1/openapi.json" {
		return nil
	}
	clone := req.Clone(context.Background())
	clone.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := v.s.router.FindRoute(clone)
	if err != nil {
		if res.StatusCode == 404 || res.StatusCode == 405 {
			return nil // an unknown route is expected to be refused
		}
		return fmt.Errorf("route not in the document: %w", err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route, Options: opts}
	if res.StatusCode < 400 { // a refused request may well break the schema: that is why it was refused
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("request: %w", err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(resBody)), Options: opts}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response: %w", err)
	}
	return nil
}
