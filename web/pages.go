package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/talon-queue/talon/queue"
)

// Pages are server-rendered html/template pages with vanilla JS modules.
// Static files are embedded and served under a content hash of the whole
// static tree, /static/<hash>/js/board.js, so they can be cached for a year:
// a new build changes every URL at once, and relative imports between
// modules (./voice.js, ../voice/ru/5.opus) stay within one version.

//go:embed static templates
var pageFS embed.FS

// assets are the embedded static files and their hash.
type assets struct {
	files fs.FS
	hash  string
}

func newAssets() (*assets, error) {
	files, err := fs.Sub(pageFS, "static")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return &assets{files: files, hash: hex.EncodeToString(h.Sum(nil))[:16]}, nil
}

// url returns the URL of a static file, e.g. "js/board.js".
func (a *assets) url(name string) string { return "/static/" + a.hash + "/" + name }

var contentTypes = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".opus": "audio/ogg",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".md":   "text/plain; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
}

// serve answers GET /static/:hash/*. Files of the current hash are cached
// for good; a page of an older build still gets the file, uncached.
func (a *assets) serve(c *fiber.Ctx) error {
	name := c.Params("*")
	if !fs.ValidPath(name) || name == "." {
		return queue.E(queue.KindNotFound, codeRouteNotFound)
	}
	b, err := fs.ReadFile(a.files, name)
	if err != nil {
		return queue.E(queue.KindNotFound, codeRouteNotFound)
	}
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		ct = "application/octet-stream"
		if path.Ext(name) == "" {
			ct = "text/plain; charset=utf-8" // LICENSE and the like
		}
	}
	c.Set(fiber.HeaderContentType, ct)
	if c.Params("hash") == a.hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	return c.Send(b)
}

// page is what every template gets.
type page struct {
	Lang   string // language of the page: ru or en
	Second string // a second language shown beside the first, or ""
	Title  string
	a      *assets
	msgs   catalog
}

// T returns the page string key in the page's language.
func (p *page) T(key string) string { return p.msgs.text(p.Lang, key, nil) }

// T2 returns the page string key in the second language.
func (p *page) T2(key string) string { return p.msgs.text(p.Second, key, nil) }

// Hash returns the hash of the static files the page was built with.
func (p *page) Hash() string { return p.a.hash }

// Asset returns the content-hashed URL of a static file.
func (p *page) Asset(name string) string { return p.a.url(name) }

// Strings returns the strings under prefix for scripts, as JSON: {"ru":{…}}
// for the page's language and the second one.
func (p *page) Strings(prefix string) string {
	return p.StringsIn(p.Lang+" "+p.Second, prefix)
}

// StringsIn returns the strings under any of prefixes for scripts, as JSON,
// in every language of the space-separated list ls: {"ru":{…},"en":{…}}.
func (p *page) StringsIn(ls string, prefixes ...string) string {
	out := map[string]map[string]string{}
	for _, l := range strings.Fields(ls) {
		m := map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(p.msgs[l])) {
			if slices.ContainsFunc(prefixes, func(pre string) bool { return strings.HasPrefix(k, pre) }) {
				m[k] = p.msgs[l][k]
			}
		}
		out[l] = m
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// boardPage is the data of the hall board. The layout options come from
// the address of this screen; those it does not give (zero, "") follow the
// office's settings (queue.BoardSettings), which reach the page on the feed.
type boardPage struct {
	page
	Office string
	Cols   int    // 1–4, or 0
	Rows   int    // 1–12, or 0
	Voice  string // ru, en, both, or ""
	Ticker string
}

// pages registers the pages and the static files, and returns the hash of
// the static files.
func (s *Server) pages() string {
	a, err := newAssets()
	if err != nil {
		panic(err) // the files are embedded: only a broken build gets here
	}
	tmpl := template.Must(template.ParseFS(pageFS, "templates/*.html"))
	s.app.Get("/static/:hash/*", a.serve)
	s.app.Get("/board", func(c *fiber.Ctx) error {
		// What the address does not give, or gives wrong, is left to the
		// office's settings: a board on a wall shows something sensible
		// rather than an error.
		voice := c.Query("lang")
		if !slices.Contains(queue.BoardLangs(), queue.BoardLang(voice)) {
			voice = ""
		}
		p := &boardPage{page: page{Lang: "ru", a: a, msgs: s.msgs},
			Office: officeParam(c.Query("office")),
			Cols:   intOr(c.Query("cols"), 0, 1, 4),
			Rows:   intOr(c.Query("rows"), 0, 1, 12),
			Voice:  voice,
			Ticker: truncate(strings.TrimSpace(c.Query("ticker")), 500),
		}
		switch voice {
		case "en":
			p.Lang = "en"
		case "both":
			p.Second = "en"
		}
		p.Title = p.T("page.board.title")
		return s.render(c, tmpl, "board.html", p)
	})
	s.app.Get("/kiosk", func(c *fiber.Ctx) error {
		p := &kioskPage{page: page{Lang: "ru", Second: "en", a: a, msgs: s.msgs},
			Office: officeParam(c.Query("office")),
			Idle:   intOr(c.Query("idle"), 45, 3, 600),
		}
		p.Title = p.T("page.kiosk.title")
		return s.render(c, tmpl, "kiosk.html", p)
	})
	s.app.Get("/t/:code", func(c *fiber.Ctx) error { return s.ticketPage(c, tmpl, a) })
	return a.hash
}

// kioskPage is the data of the ticket kiosk. Strings of both languages go
// to the script, which switches between them.
type kioskPage struct {
	page
	Office string
	Idle   int // seconds without a touch before the kiosk returns to the start
}

// ticketPage is the data of an applicant's live ticket page: rendered whole
// on the server, so that the first answer over a poor link already shows
// the place in the queue; the script then polls for changes.
type ticketPage struct {
	page
	Code    string
	Poll    int // seconds between polls
	Found   bool
	Ticket  queue.TicketView
	Office  string
	Service string
	Other   string // the other language, for the switch
}

// Final reports whether the ticket's status is final (nothing more to wait for).
func (p *ticketPage) Final() bool { return p.Found && !p.Ticket.Status.Active() }

// Ahead is the line with the people ahead, while the ticket waits.
func (p *ticketPage) Ahead() string {
	if p.Ticket.Status != queue.StatusWaiting || p.Ticket.Position <= 0 {
		return ""
	}
	if p.Ticket.Position == 1 {
		return p.T("ticket.next")
	}
	return p.msgs.text(p.Lang, "ticket.ahead", map[string]string{"n": strconv.Itoa(p.Ticket.Position - 1)})
}

// Wait is the line with the estimated wait, while the ticket waits.
func (p *ticketPage) Wait() string {
	if p.Ticket.Status != queue.StatusWaiting || p.Ticket.EstimatedWait <= 0 {
		return ""
	}
	return p.msgs.text(p.Lang, "ticket.wait", map[string]string{"n": strconv.Itoa(p.Ticket.EstimatedWait)})
}

// State is the sentence for the ticket's status.
func (p *ticketPage) State() string {
	if !p.Found {
		return p.T("ticket.not_found")
	}
	return p.msgs.text(p.Lang, "ticket.status."+string(p.Ticket.Status), map[string]string{"window": strconv.Itoa(p.Ticket.Window)})
}

// ticketPage renders /t/{code}: the applicant's ticket, without login.
func (s *Server) ticketPage(c *fiber.Ctx, tmpl *template.Template, a *assets) error {
	l := c.Query("lang")
	if !slices.Contains(langs, l) {
		l = lang(c)
	}
	p := &ticketPage{page: page{Lang: l, a: a, msgs: s.msgs}, Code: truncate(c.Params("code"), 100),
		Poll: intOr(c.Query("poll"), 10, 1, 60), Other: "en"}
	if l == "en" {
		p.Other = "ru"
	}
	v, err := s.q.TicketByCode(c.Params("code"))
	switch {
	case err == nil:
		p.Found, p.Ticket = true, v
		if cfg, err := s.q.Catalog(queue.System(), v.Office); err == nil {
			p.Office = cfg.Office.Name.In(l)
			for _, sv := range cfg.Services {
				if sv.ID == v.Service {
					p.Service = sv.Name.In(l)
				}
			}
		}
		p.Title = p.msgs.text(l, "page.ticket.title", map[string]string{"number": v.Number})
	case queue.ErrorKind(err) == queue.KindNotFound:
		c.Status(fiber.StatusNotFound)
		p.Title = p.T("page.ticket.none")
	default:
		return err
	}
	c.Set("X-Robots-Tag", "noindex, nofollow")
	return s.render(c, tmpl, "ticket.html", p)
}

// render writes a page with the headers every page has.
func (s *Server) render(c *fiber.Ctx, tmpl *template.Template, name string, data any) error {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentSecurityPolicy, csp(c.Get(fiber.HeaderHost)))
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(b.Bytes())
}

var hostPattern = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// csp is the Content-Security-Policy of pages: everything from this server
// only, no inline script or style. The websocket of this host is named as
// well, for browsers whose 'self' does not cover ws: and wss:.
func csp(host string) string {
	connect := "'self'"
	if hostPattern.MatchString(host) {
		connect += " ws://" + host + " wss://" + host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
		"font-src 'self'; connect-src " + connect + "; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

var officePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// officeParam returns an office id from a query, or "" when it is not one.
func officeParam(s string) string {
	if officePattern.MatchString(s) {
		return s
	}
	return ""
}

// intOr parses an integer within [lo, hi], def otherwise: a board on a wall
// shows something sensible rather than an error.
func intOr(s string, def, lo, hi int) int {
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return def
	}
	return v
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
