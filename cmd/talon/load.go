package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/talon-queue/talon/queue"
)

// loadTarget is the server a load run drives and the secrets it uses.
type loadTarget struct {
	url    string
	office string
	auth   string // "Bearer " and an API key with every scope: it acts for the operators
	ops    []operatorLogin
	http   *fasthttp.HostClient
	finish map[string][]byte // service → finish body naming its first result
}

// loadStats gathers the latencies and failures of one kind of request.
type loadStats struct {
	mu     sync.Mutex
	lat    []time.Duration
	errors map[string]int
}

func (s *loadStats) add(d time.Duration, failure string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if failure != "" {
		if s.errors == nil {
			s.errors = map[string]int{}
		}
		s.errors[failure]++
		return
	}
	s.lat = append(s.lat, d)
}

// since returns how many requests succeeded after the first from, with
// their median and 99th percentile latency, and the new mark.
func (s *loadStats) since(from int) (n int, p50, p99 time.Duration, mark int) {
	s.mu.Lock()
	w := slices.Clone(s.lat[from:])
	mark = len(s.lat)
	s.mu.Unlock()
	if len(w) == 0 {
		return 0, 0, 0, mark
	}
	slices.Sort(w)
	return len(w), w[len(w)/2], w[min(len(w)-1, len(w)*99/100)], mark
}

// progress prints, every interval until ctx ends, the rate and latency of
// the requests that ended in it: a server that slows as its queue grows, or
// stalls now and then, shows here and not in the totals.
func (s *loadStats) progress(ctx context.Context, w io.Writer, name string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	mark, last := 0, time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			var n int
			var p50, p99 time.Duration
			n, p50, p99, mark = s.since(mark)
			fmt.Fprintf(w, "  %-8s %8d ok %10.0f/s  p50 %9s  p99 %9s\n", name, n, float64(n)/now.Sub(last).Seconds(), msText(p50), msText(p99))
			last = now
		}
	}
}

func msText(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// report prints count, rate and latency percentiles.
func (s *loadStats) report(w io.Writer, name string, elapsed time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	slices.Sort(s.lat)
	pct := func(p float64) time.Duration {
		if len(s.lat) == 0 {
			return 0
		}
		return s.lat[min(len(s.lat)-1, int(p*float64(len(s.lat))))]
	}
	fmt.Fprintf(w, "%-10s %8d ok %10.0f/s  p50 %9s  p99 %9s  max %9s", name, len(s.lat),
		float64(len(s.lat))/elapsed.Seconds(), msText(pct(0.50)), msText(pct(0.99)), msText(pct(1)))
	if len(s.errors) > 0 {
		keys := make([]string, 0, len(s.errors))
		for k := range s.errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s×%d", k, s.errors[k]))
		}
		fmt.Fprintf(w, "  errors: %s", strings.Join(parts, " "))
	}
	fmt.Fprintln(w)
}

// load drives a running server over HTTP with concurrent clients and prints
// throughput and latency: `issue` has every client take tickets; `cycle` has
// one worker per window call, start and finish while the other clients
// issue, as in an office at full speed.
func (c *cli) load(ctx context.Context, args []string) error {
	fs := c.flagSet("load", "talon load [--url URL] [--credentials FILE] [--mode issue|cycle|boards] [--clients 64] [--duration 10s] [--boards 1000 --calls 200 --every 20ms]")
	server := fs.String("url", "http://127.0.0.1:8080", "the server")
	creds := fs.String("credentials", filepath.Join("talon-data", credentialsFile), "the demo credentials file (API key, office, operators)")
	mode := fs.String("mode", "issue", "issue: every client issues tickets; cycle: windows call/start/finish while the rest issue; boards: N hall boards follow the feed while calls are made")
	boardCount := fs.Int("boards", 1000, "boards mode: websocket connections")
	calls := fs.Int("calls", 200, "boards mode: calls to make")
	every := fs.Duration("every", 20*time.Millisecond, "boards mode: time between calls")
	clients := fs.Int("clients", 64, "concurrent clients")
	rate := fs.Int("rate", 0, "issue at this many requests per second in all (0: as fast as the clients go); latency counts from when each request was due, so a server that falls behind is not flattered")
	duration := fs.Duration("duration", 10*time.Second, "how long to run")
	interval := fs.Duration("interval", 0, "also print the rate and latency of every interval (e.g. 5s); 0: only the totals")
	service := fs.String("service", "", "service to issue for (default: the first active service without a daily limit)")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if *clients < 1 || *clients > 10000 {
		return usagef("--clients must be 1…10000")
	}
	b, err := os.ReadFile(*creds)
	if err != nil {
		return fmt.Errorf("read credentials: %w", err)
	}
	var cr credentials
	if err := json.Unmarshal(b, &cr); err != nil {
		return fmt.Errorf("credentials %s: %w", *creds, err)
	}
	t, err := newLoadTarget(*server, cr, *clients)
	if err != nil {
		return err
	}
	svcs, err := t.readServices(ctx)
	if err != nil {
		return err
	}
	if *service == "" {
		if *service, err = pickService(svcs); err != nil {
			return err
		}
	}
	if c.getenv("GOGC") == "" && c.getenv("GOMEMLIMIT") == "" {
		// The tool's own collections would show up as the server's latency.
		defer startGCFloor(256<<20, gcPercent)()
	}
	if *mode == "boards" {
		if len(t.ops) == 0 || *calls < 1 || *boardCount < 1 {
			return usagef("boards needs operators in the credentials, --calls ≥ 1 and --boards ≥ 1")
		}
		return t.loadBoards(ctx, c.stdout, cr.Devices.Board, *service, *boardCount, *calls, *every)
	}
	issueBody, _ := json.Marshal(queue.IssueRequest{Service: *service})
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()

	var issued, cycled loadStats
	var wg sync.WaitGroup
	windows := 0
	if *mode == "cycle" {
		windows = min(len(t.ops), *clients-1)
		if windows < 1 {
			return usagef("cycle needs operators in the credentials and at least 2 clients")
		}
	} else if *mode != "issue" {
		return usagef("unknown --mode %q", *mode)
	}
	issuePath := "/api/v1/offices/" + t.office + "/tickets"
	progressed := make(chan struct{})
	if *interval > 0 {
		go func() {
			defer close(progressed)
			issued.progress(ctx, c.stdout, "issue", *interval)
		}()
	} else {
		close(progressed)
	}
	start := time.Now()
	var served atomic.Int64
	due := pace(ctx, *rate, start)
	for i := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i < windows {
				t.windowLoop(ctx, t.ops[i], *service, &cycled, &served)
				return
			}
			for ctx.Err() == nil {
				t0 := time.Now()
				if due != nil {
					var ok bool
					if t0, ok = <-due; !ok {
						return
					}
				}
				_, fail := t.post(ctx, issuePath, issueBody, nil)
				if ctx.Err() != nil && fail != "" {
					return
				}
				issued.add(time.Since(t0), fail)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	<-progressed
	fmt.Fprintf(c.stdout, "talon load: %s mode, %d clients, rate %s, %s against %s (service %s)\n", *mode, *clients, rateText(*rate), elapsed.Round(time.Millisecond), t.url, *service)
	issued.report(c.stdout, "issue", elapsed)
	if windows > 0 {
		cycled.report(c.stdout, "call+fin", elapsed)
		fmt.Fprintf(c.stdout, "%-10s %8d visitors served at %d windows\n", "served", served.Load(), windows)
	}
	return nil
}

// pace hands out the times requests are due, rate per second from start, or
// returns nil for no pacing. A client takes the next due time and measures
// its request from it, so time spent waiting for a slow server counts.
func pace(ctx context.Context, rate int, start time.Time) <-chan time.Time {
	if rate <= 0 {
		return nil
	}
	due := make(chan time.Time, rate) // a second of backlog at most
	go func() {
		defer close(due)
		every := time.Second / time.Duration(rate)
		for n := 0; ; n++ {
			at := start.Add(time.Duration(n) * every)
			if d := time.Until(at); d > time.Millisecond {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			}
			select {
			case due <- at:
			case <-ctx.Done():
				return
			}
		}
	}()
	return due
}

// windowLoop works one window as fast as it can: call next, start, finish.
// Each step's latency counts as one request.
func (t *loadTarget) windowLoop(ctx context.Context, op operatorLogin, service string, st *loadStats, served *atomic.Int64) {
	who, _ := json.Marshal(map[string]string{"operator": op.Login})
	base := fmt.Sprintf("/api/v1/offices/%s/windows/%d/", t.office, op.Window)
	t.post(ctx, base+"open", who, nil)
	for ctx.Err() == nil {
		var call queue.Call
		t0 := time.Now()
		_, fail := t.post(ctx, base+"call-next", who, &call)
		if ctx.Err() != nil {
			return
		}
		if fail == "409 "+queue.CodeQueueEmpty {
			time.Sleep(2 * time.Millisecond) // nobody waits yet
			continue
		}
		st.add(time.Since(t0), fail)
		if fail != "" {
			continue
		}
		for _, step := range []string{"start", "finish"} {
			body := []byte(`{}`)
			if f := t.finish[call.Ticket.Service]; step == "finish" && f != nil {
				body = f
			}
			t0 = time.Now()
			_, fail = t.post(ctx, "/api/v1/tickets/"+call.Ticket.ID+"/"+step, body, nil)
			if ctx.Err() != nil {
				return
			}
			st.add(time.Since(t0), fail)
		}
		if fail == "" {
			served.Add(1)
		}
	}
}

// readServices learns, once, the finish body of every service with results.
func (t *loadTarget) readServices(ctx context.Context) ([]queue.Service, error) {
	var svcs []queue.Service
	if _, fail := t.get(ctx, "/api/v1/offices/"+t.office+"/services", &svcs); fail != "" {
		return nil, fmt.Errorf("list services: %s", fail)
	}
	t.finish = map[string][]byte{}
	for _, s := range svcs {
		if len(s.Results) > 0 {
			t.finish[s.ID], _ = json.Marshal(queue.FinishRequest{Result: s.Results[0].ID})
		}
	}
	return svcs, nil
}

// pickService finds an active service without a daily limit.
func pickService(svcs []queue.Service) (string, error) {
	for _, s := range svcs {
		if s.Active && !s.Group && s.DailyLimit == 0 {
			return s.ID, nil
		}
	}
	return "", errors.New("no active service without a daily limit: name one with --service")
}

func (t *loadTarget) get(ctx context.Context, path string, out any) (int, string) {
	return t.do(ctx, http.MethodGet, path, nil, out)
}

func (t *loadTarget) post(ctx context.Context, path string, body []byte, out any) (int, string) {
	return t.do(ctx, http.MethodPost, path, body, out)
}

// newLoadTarget prepares a client for the server at base. The load tool
// shares the machine with the server it measures, so it uses fasthttp's
// client: about a third of net/http's CPU per request, which is left to the
// server.
func newLoadTarget(base string, cr credentials, clients int) (*loadTarget, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--url %q: want http://host:port", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr += map[string]string{"http": ":80", "https": ":443"}[u.Scheme]
	}
	return &loadTarget{url: u.String(), office: cr.Office, auth: "Bearer " + cr.APIKey, ops: cr.Operators,
		http: &fasthttp.HostClient{Addr: addr, IsTLS: u.Scheme == "https", MaxConns: clients * 2,
			MaxIdleConnDuration: time.Minute, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}}, nil
}

// do sends one request and returns its status and, for a failure, a short
// description ("409 queue_empty", "net").
func (t *loadTarget) do(ctx context.Context, method, path string, body []byte, out any) (int, string) {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI(t.url + path)
	req.Header.SetMethod(method)
	req.Header.Set("Authorization", t.auth)
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	if err := t.http.Do(req, res); err != nil {
		return 0, "net"
	}
	code, b := res.StatusCode(), res.Body()
	if code >= 400 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(b, &e)
		return code, fmt.Sprintf("%d %s", code, e.Error.Code)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return code, "decode"
		}
	}
	return code, ""
}

func rateText(r int) string {
	if r <= 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%d/s", r)
}
