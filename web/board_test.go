package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/talon-queue/talon/board"
	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/queuetest"
	"github.com/talon-queue/talon/web"
)

// browser is a headless Debian Chromium driven over the DevTools protocol.
type browser struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	log []chromedp.ConsoleMessage
}

// mustBrowser starts Chromium, with extra flags if any. A missing chromium
// fails the test: the machines install it (apt-get install -y chromium).
func mustBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path := queuetest.MustTool(t, "chromium", "chromium")
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Desktop Chrome's policy, which headless mode relaxes: no sound
		// before someone taps the page.
		chromedp.Flag("autoplay-policy", "document-user-activation-required"),
		chromedp.WindowSize(1920, 1080),
		chromedp.UserDataDir(t.TempDir()),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelCtx()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.log = append(b.log, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs actions on the page.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v\nconsole:\n%s", err, b.console())
	}
}

// eval evaluates a JavaScript expression into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %s: %v\nconsole:\n%s", expr, err, b.console())
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("eval %s: %s: %v", expr, raw, err)
		}
	}
}

// wait evaluates a JavaScript predicate until it holds. (It does not use
// chromedp.Poll, which runs the predicate as a user gesture: that would
// let the page play sound as if someone had tapped it.)
func (b *browser) wait(what, expr string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s (%s): %v\nconsole:\n%s", what, expr, err, b.console())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) console() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s []string
	for _, m := range b.log {
		s = append(s, fmt.Sprintf("  %s: %s", m.Type, m.Text))
	}
	return strings.Join(s, "\n")
}

// errors returns what the page logged as errors, except the failed
// connections expected while the server restarts.
func (b *browser) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.log {
		if m.Type != "error" && !m.IsException() && m.Type != chromedp.ConsoleType("warning") {
			continue
		}
		if strings.Contains(m.Text, "WebSocket connection to") || strings.Contains(m.Text, "ERR_CONNECTION_REFUSED") ||
			strings.Contains(m.Text, "AudioContext was not allowed to start") {
			continue
		}
		out = append(out, m.String())
	}
	return out
}

// screenshot keeps a picture of the page when TALON_SCREENSHOTS names a
// directory, for a person to look at.
func (b *browser) screenshot(name string) {
	dir := os.Getenv("TALON_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// axe runs axe-core (vendored in testdata) against the WCAG 2.1 A and AA
// rules and fails on every violation.
func (b *browser) axe(when string) {
	b.t.Helper()
	src, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		b.t.Fatal(err)
	}
	b.eval("(() => { if (!window.axe) { (0, eval)("+jsString(string(src))+"); } return true; })()", nil)
	var violations []struct {
		ID    string   `json:"id"`
		Help  string   `json:"help"`
		Nodes []string `json:"nodes"`
	}
	b.eval(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => r.violations.map(v => ({id: v.id, help: v.help,
			nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)})))`, &violations)
	for _, v := range violations {
		b.t.Errorf("axe (%s): %s: %s\n  %s", when, v.ID, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// announcement is window.talonBoard.lastAnnouncement.
type announcement struct {
	Seq    uint64   `json:"seq"`
	Number string   `json:"number"`
	Window int      `json:"window"`
	Recall bool     `json:"recall"`
	Clips  []string `json:"clips"`
}

func (b *browser) lastAnnouncement() announcement {
	b.t.Helper()
	var a announcement
	b.eval(`window.talonBoard.lastAnnouncement || {}`, &a)
	return a
}

// waitCall waits until the board lists number at window.
func (b *browser) waitCall(number string, window int) {
	b.t.Helper()
	b.wait(fmt.Sprintf("%s at window %d on the board", number, window), fmt.Sprintf(
		`Array.from(document.querySelectorAll("#calls .call")).some(li =>
			li.querySelector(".num").textContent === %s && li.querySelector(".win").textContent === "%d")`,
		jsString(number), window), 15*time.Second)
}

// stop shuts the web server down; the engine goes on.
func (s *server) stop() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.t.Fatal(err)
	}
}

// start serves a new web server on the same engine and address.
func (s *server) start() {
	s.t.Helper()
	srv, err := web.New(s.config())
	if err != nil {
		s.t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.URL, "http://")
	var ln net.Listener
	for i := 0; ; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		if i == 50 {
			s.t.Fatalf("listen again on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	go srv.Serve(ln)
	s.srv = srv
	s.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
}

func TestBoardShowsAndAnnouncesCalls(t *testing.T) {
	s := mustServer(t)
	b := mustBrowser(t)
	api := s.as(s.APIKey)

	// The device token is given once, in the fragment, and kept.
	b.do(chromedp.Navigate(s.URL + "/board?office=test#token=" + s.Board))
	b.wait("the board to connect", `window.talonBoard && window.talonBoard.connected`, 15*time.Second)
	var href, stored, lang string
	b.eval(`location.href`, &href)
	b.eval(`localStorage.getItem("talon.board.token")`, &stored)
	b.eval(`document.documentElement.lang`, &lang)
	if strings.Contains(href, "token") || stored != s.Board || lang != "ru" {
		t.Fatalf("href %s, stored token %t, lang %s", href, stored == s.Board, lang)
	}
	b.wait("the office name", `document.getElementById("office").textContent === "МФЦ Тестовый"`, 5*time.Second)
	b.wait("the clock at server time", `document.getElementById("clock").textContent === "10:00"`, 5*time.Second)

	// Sound was never turned on: the button asks for it, and the server
	// knows.
	b.wait("the sound button", `!document.getElementById("sound").hidden`, 5*time.Second)
	waitDisplay(t, s, func(d web.Display) bool { return d.Sound == "off" && d.Page == "board" && d.Connected })
	b.axe("empty board")

	// A call made through the API appears, flashes and is announced.
	ticket := s.issue("passport")
	call := s.callNext(1)
	if call.Ticket.ID != ticket.ID {
		t.Fatalf("called %s, want %s", call.Ticket.Number, ticket.Number)
	}
	b.waitCall(ticket.Number, 1)
	b.wait("the waiting count", `document.getElementById("total").textContent === "0"`, 5*time.Second)
	a := b.lastAnnouncement()
	if want := board.Announcement(ticket.Number, 1, "ru"); a.Number != ticket.Number || a.Window != 1 || !reflect.DeepEqual(a.Clips, want) {
		t.Fatalf("announcement %+v, want clips %v", a, want)
	}
	var flash bool
	var live string
	b.eval(`document.querySelector("#calls .call").classList.contains("flash")`, &flash)
	b.eval(`document.getElementById("live").textContent`, &live)
	if !flash || !strings.Contains(live, ticket.Number) || !strings.Contains(live, "окно 1") {
		t.Errorf("flash %t, live region %q", flash, live)
	}
	b.screenshot("board-1080p")
	b.axe("a flashing call")

	// A tap turns sound on; the server learns it.
	b.do(chromedp.Click(chromedp.CSS("#sound")))
	b.wait("sound on", `window.talonBoard.sound === "on" && document.getElementById("sound").hidden`, 5*time.Second)
	waitDisplay(t, s, func(d web.Display) bool { return d.Sound == "on" })

	// A recall is announced again.
	var v queue.TicketView
	if st := api.do("POST", "/api/v1/tickets/"+call.Ticket.ID+"/recall", nil, &v); st != 200 {
		t.Fatalf("recall: %d", st)
	}
	b.wait("the recall", `window.talonBoard.announcements.length === 2 && window.talonBoard.lastAnnouncement.recall`, 10*time.Second)

	// The choice is remembered, but a reloaded page may not start sound
	// before the next tap: the board says so, and managers see it. A tap
	// brings sound back.
	b.do(chromedp.Reload())
	b.wait("the board to reconnect", `window.talonBoard && window.talonBoard.connected`, 15*time.Second)
	b.waitCall(ticket.Number, 1)
	b.wait("the blocked-sound mark", `window.talonBoard.sound === "blocked" && !document.getElementById("sound").hidden`, 5*time.Second)
	waitDisplay(t, s, func(d web.Display) bool { return d.Sound == "blocked" })
	b.do(chromedp.Click(chromedp.CSS("#sound")))
	b.wait("sound on again", `window.talonBoard.sound === "on" && document.getElementById("sound").hidden`, 5*time.Second)
	waitDisplay(t, s, func(d web.Display) bool { return d.Sound == "on" })

	// Readable at 1080p and 4K: large numbers that fit their cells.
	for _, size := range [][2]int64{{1920, 1080}, {3840, 2160}} {
		b.do(chromedp.EmulateViewport(size[0], size[1]))
		var m struct {
			FontSize float64 `json:"fontSize"`
			Fits     bool    `json:"fits"`
			Height   float64 `json:"height"`
		}
		b.eval(`(() => { const li = document.querySelector("#calls .call");
			const fits = [".num", ".win"].every(s => { const e = li.querySelector(s); return e.scrollWidth <= e.clientWidth + 1; })
				&& document.body.scrollHeight <= innerHeight && document.body.scrollWidth <= innerWidth;
			return {fontSize: parseFloat(getComputedStyle(li).fontSize), fits, height: innerHeight}; })()`, &m)
		if !m.Fits || m.FontSize < 0.09*m.Height {
			t.Errorf("%dx%d: call font %.0fpx (want ≥ 9%% of the height), fits %t", size[0], size[1], m.FontSize, m.Fits)
		}
		b.screenshot(fmt.Sprintf("board-%dx%d", size[0], size[1]))
	}
	b.do(chromedp.EmulateViewport(1920, 1080))

	// The server restarts; a call is made while it is down. The board marks
	// the lost connection, keeps its picture, reconnects and catches up.
	s.stop()
	b.wait("the no-connection mark", `!window.talonBoard.connected && !document.getElementById("offline").hidden`, 15*time.Second)
	var shown int
	b.eval(`document.querySelectorAll("#calls .call").length`, &shown)
	if shown != 1 {
		t.Errorf("board shows %d calls while offline, want the last picture", shown)
	}
	b.screenshot("board-offline")
	s.issue2("tax")
	down, err := s.env.Q.CallNext(context.Background(), queuetest.As("op3", queue.RoleOperator, "test"), "test", 3, queue.CallNextRequest{})
	if err != nil {
		t.Fatal(err)
	}
	s.start()
	b.wait("the board to reconnect", `window.talonBoard.connected && document.getElementById("offline").hidden`, 30*time.Second)
	b.waitCall(down.Ticket.Number, 3)
	b.waitCall(ticket.Number, 1)
	if a := b.lastAnnouncement(); a.Number != down.Ticket.Number || a.Window != 3 {
		t.Errorf("after the restart the board announced %+v, want %s at 3", a, down.Ticket.Number)
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("page errors:\n%s", strings.Join(errs, "\n"))
	}
}

// issue2 issues a ticket straight through the engine (the web server may be down).
func (s *server) issue2(service string) queue.TicketView {
	s.t.Helper()
	v, err := s.env.Q.Issue(context.Background(), queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: service})
	if err != nil {
		s.t.Fatal(err)
	}
	return v
}

// waitDisplay waits until board-1 as managers see it satisfies ok.
func waitDisplay(t *testing.T, s *server, ok func(web.Display) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := s.displayOf("board-1")
		if ok(d) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("display %+v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBoardInTwoLanguages(t *testing.T) {
	s := mustServer(t)
	b := mustBrowser(t)
	// No office in the address: the board asks the server whose device it is.
	b.do(chromedp.Navigate(s.URL + "/board?lang=both&cols=3&rows=3&ticker=" +
		"%D0%94%D0%BE%D0%B1%D1%80%D0%BE%20%D0%BF%D0%BE%D0%B6%D0%B0%D0%BB%D0%BE%D0%B2%D0%B0%D1%82%D1%8C#token=" + s.Board))
	b.wait("the board to connect", `window.talonBoard && window.talonBoard.connected`, 15*time.Second)

	// Sound was turned on here once, but nobody has tapped this browser
	// since it started: it blocks sound. The board says so on screen, and
	// managers see it.
	b.eval(`localStorage.setItem("talon.voice", "on")`, nil)
	b.do(chromedp.Reload())
	b.wait("the board to reconnect", `window.talonBoard && window.talonBoard.connected`, 15*time.Second)
	b.wait("the blocked-sound mark", `window.talonBoard.sound === "blocked" && !document.getElementById("sound").hidden &&
		document.getElementById("sound").classList.contains("blocked")`, 5*time.Second)
	waitDisplay(t, s, func(d web.Display) bool { return d.Sound == "blocked" })
	b.axe("sound blocked")

	var heads, ticker, second string
	b.eval(`String(document.querySelectorAll("#calls-head .label").length)`, &heads)
	b.eval(`document.getElementById("ticker").textContent`, &ticker)
	b.eval(`document.querySelector("#calls-head .second").lang`, &second)
	if heads != "6" || ticker != "Добро пожаловать" || second != "en" {
		t.Errorf("head labels %s, ticker %q, second language %q", heads, ticker, second)
	}
	ticket := s.issue("tax")
	s.callNext(3)
	b.waitCall(ticket.Number, 3)
	ru, en := board.Announcement(ticket.Number, 3, "ru"), board.Announcement(ticket.Number, 3, "en")
	if a := b.lastAnnouncement(); !reflect.DeepEqual(a.Clips, append(slices.Clone(ru), en[1:]...)) {
		t.Errorf("clips %v, want Russian then English without a second chime", a.Clips)
	}
	// The announcement could not be heard: managers learn that too.
	waitDisplay(t, s, func(d web.Display) bool { return d.Dropped == 1 })
	b.screenshot("board-both")
	b.axe("two languages")
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("page errors:\n%s", strings.Join(errs, "\n"))
	}
}

func TestBoardPageHeadersAndAssets(t *testing.T) {
	s := mustServer(t)
	res, err := http.Get(s.URL + "/board?office=test&cols=9&rows=x&lang=fr&ticker=%3Cscript%3E")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := res.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	html := body.String()
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != 200 || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") ||
		strings.Contains(csp, "unsafe") {
		t.Fatalf("status %d, CSP %q", res.StatusCode, csp)
	}
	// Options out of range are left to the office's settings.
	if !strings.Contains(html, `data-cols=""`) || !strings.Contains(html, `data-rows=""`) || !strings.Contains(html, `data-lang=""`) ||
		strings.Contains(html, "<script>") || !strings.Contains(html, `lang="ru"`) {
		t.Errorf("options not checked or ticker not escaped:\n%s", html)
	}
	// Assets are served under their content hash, cached for good.
	i := strings.Index(html, "/static/")
	j := strings.Index(html[i:], `"`)
	js := strings.Replace(html[i:i+j], "css/board.css", "js/board.js", 1)
	r2, err := http.Get(s.URL + js)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 200 || !strings.HasPrefix(r2.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(r2.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("%s: %d %s %s", js, r2.StatusCode, r2.Header.Get("Content-Type"), r2.Header.Get("Cache-Control"))
	}
	hash := strings.Split(js, "/")[2]
	for path, want := range map[string]int{
		"/static/" + hash + "/voice/ru/talon.opus": 200,
		"/static/" + hash + "/js/nothing.js":       404,
		"/static/" + hash + "/../web.go":           404,
		"/static/old/js/board.js":                  200,
	} {
		r, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, r.StatusCode, want)
		}
		if path == "/static/old/js/board.js" && r.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("an old hash is cached: %s", r.Header.Get("Cache-Control"))
		}
	}
}

// boardLayout is what a board shows of its layout.
type boardLayout struct {
	Cols    int    `json:"cols"`    // columns of the calls grid, as laid out
	Rows    int    `json:"rows"`    // rows of the calls grid, as laid out
	Heads   int    `json:"heads"`   // column labels
	Seconds int    `json:"seconds"` // column labels with a second language
	Calls   int    `json:"calls"`   // calls shown
	Lang    string `json:"lang"`    // the page's language
	Ticker  string `json:"ticker"`
	Same    bool   `json:"same"` // the page was not reloaded since markSame
}

const boardLayoutJS = `(() => { const cs = getComputedStyle(document.getElementById("calls"));
	return {cols: cs.gridTemplateColumns.split(" ").length, rows: cs.gridTemplateRows.split(" ").length,
		heads: document.querySelectorAll("#calls-head .label").length,
		seconds: document.querySelectorAll("#calls-head .label .second").length,
		calls: document.querySelectorAll("#calls .call").length, lang: document.documentElement.lang,
		ticker: document.getElementById("ticker").textContent, same: window.talonSameDocument === true}; })()`

// waitLayout waits until the board shows want.
func (b *browser) waitLayout(what string, want boardLayout) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got boardLayout
		b.eval(boardLayoutJS, &got)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: board shows %+v, want %+v\nconsole:\n%s", what, got, want, b.console())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// putBoard changes the board settings of office test as c and returns the
// status and body.
func putBoard(t *testing.T, c *client, bs queue.BoardSettings) (int, []byte) {
	t.Helper()
	var cfg queue.OfficeConfig
	if st := c.do("GET", "/api/v1/offices/test", nil, &cfg); st != 200 {
		t.Fatalf("get office: %d", st)
	}
	o := cfg.Office
	o.Settings.Board = bs
	return c.raw("PUT", "/api/v1/offices/test", o, nil)
}

func TestBoardFollowsTheOfficeSettings(t *testing.T) {
	s := mustServer(t)
	b := mustBrowser(t)
	admin := s.login("root")

	b.do(chromedp.Navigate(s.URL + "/board?office=test#token=" + s.Board))
	b.wait("the board to connect", `window.talonBoard && window.talonBoard.connected`, 15*time.Second)
	var tickets []string
	for w := 1; w <= 3; w++ {
		tickets = append(tickets, s.issue("tax").Number)
		s.callNext(w)
	}
	b.waitCall(tickets[2], 3)
	b.eval(`window.talonSameDocument = true`, nil)
	// A new office's layout: 2 × 4 in Russian, its name on the ticker.
	b.waitLayout("defaults", boardLayout{Cols: 2, Rows: 4, Heads: 4, Calls: 3, Lang: "ru", Ticker: "МФЦ Тестовый", Same: true})

	// An admin changes the layout: open boards follow it without a reload.
	if st, body := putBoard(t, admin, queue.BoardSettings{Columns: 1, Rows: 2, Lang: queue.BoardEN}); st != 200 {
		t.Fatalf("put office: %d %s", st, body)
	}
	b.waitLayout("one column of two rows in English", boardLayout{Cols: 1, Rows: 2, Heads: 2, Calls: 2, Lang: "en", Ticker: "Test centre", Same: true})
	var head string
	b.eval(`document.querySelector("#calls-head .label").textContent + "|" + document.getElementById("queue-title").textContent`, &head)
	if head != "Ticket|Waiting" {
		t.Errorf("labels in English: %q", head)
	}
	want := queue.BoardSettings{Columns: 2, Rows: 4, Lang: queue.BoardBoth, Ticker: "Сегодня приём до 18:00"}
	if st, body := putBoard(t, admin, want); st != 200 {
		t.Fatalf("put office: %d %s", st, body)
	}
	b.waitLayout("2 × 4 in both languages with the office's line",
		boardLayout{Cols: 2, Rows: 4, Heads: 4, Seconds: 4, Calls: 3, Lang: "ru", Ticker: "Сегодня приём до 18:00", Same: true})
	b.eval(`document.querySelector("#calls-head .label").textContent + "|" + document.getElementById("queue-title").textContent`, &head)
	if head != "Талон Ticket|Ожидают Waiting" {
		t.Errorf("labels in both languages: %q", head)
	}
	b.screenshot("board-office-settings")
	b.axe("the office's layout")

	// The settings are part of the office and of the configuration
	// document, both ways (the contract is checked on every request).
	var cfg queue.OfficeConfig
	admin.do("GET", "/api/v1/offices/test", nil, &cfg)
	if cfg.Office.Settings.Board != want {
		t.Errorf("office's board settings %+v, want %+v", cfg.Office.Settings.Board, want)
	}
	var doc queue.Document
	if st := admin.do("GET", "/api/v1/config", nil, &doc); st != 200 || len(doc.Offices) != 1 || doc.Offices[0].Office.Settings.Board != want {
		t.Fatalf("export: %d %+v", st, doc.Offices)
	}
	if st, body := admin.raw("PUT", "/api/v1/config", doc, nil); st != 200 {
		t.Fatalf("import: %d %s", st, body)
	}

	// Wrong values are refused with the field at fault.
	for _, c := range []struct {
		board queue.BoardSettings
		field string
	}{
		{queue.BoardSettings{Columns: 5, Rows: 4, Lang: queue.BoardRU}, "settings.board.columns"},
		{queue.BoardSettings{Columns: 0, Rows: 4, Lang: queue.BoardRU}, "settings.board.columns"},
		{queue.BoardSettings{Columns: 2, Rows: 13, Lang: queue.BoardRU}, "settings.board.rows"},
		{queue.BoardSettings{Columns: 2, Rows: 4, Lang: "fr"}, "settings.board.lang"},
		{queue.BoardSettings{Columns: 2, Rows: 4, Lang: queue.BoardRU, Ticker: strings.Repeat("я", 501)}, "settings.board.ticker"},
	} {
		st, body := putBoard(t, admin, c.board)
		if e := apiError(t, body); st != 400 || e.Code != queue.CodeInvalidField || e.Params["field"] != c.field {
			t.Errorf("%+v: %d %+v, want 400 invalid_field on %s", c.board, st, e, c.field)
		}
	}
	admin.do("GET", "/api/v1/offices/test", nil, &cfg)
	if cfg.Office.Settings.Board != want {
		t.Errorf("after refused changes the board settings are %+v", cfg.Office.Settings.Board)
	}

	// The address of one screen overrides what it gives; the rest still
	// follows the office.
	b.do(chromedp.Navigate(s.URL + "/board?office=test&cols=3&lang=ru&ticker=%D0%A2%D0%BE%D0%BB%D1%8C%D0%BA%D0%BE%20%D0%B7%D0%B4%D0%B5%D1%81%D1%8C"))
	b.wait("the board to connect", `window.talonBoard && window.talonBoard.connected`, 15*time.Second)
	b.eval(`window.talonSameDocument = true`, nil)
	b.waitLayout("the address's columns, language and line", boardLayout{Cols: 3, Rows: 4, Heads: 6, Calls: 3, Lang: "ru", Ticker: "Только здесь", Same: true})
	want.Rows = 1
	if st, body := putBoard(t, admin, want); st != 200 {
		t.Fatalf("put office: %d %s", st, body)
	}
	b.waitLayout("the office's rows", boardLayout{Cols: 3, Rows: 1, Heads: 6, Calls: 3, Lang: "ru", Ticker: "Только здесь", Same: true})
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("page errors:\n%s", strings.Join(errs, "\n"))
	}
}
