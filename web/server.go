package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"

	"github.com/talon-queue/talon/queue"
)

// Config is what cmd/talon wires into the web edge.
type Config struct {
	// Queue is the engine every handler calls.
	Queue *queue.Queue
	// Logger receives request errors; nothing when nil.
	Logger *slog.Logger
	// Demo marks a demo server (shown on /healthz).
	Demo bool
	// SecureCookies sets the Secure flag on cookies (behind TLS).
	SecureCookies bool
	// SessionTTL is how long a login lasts (default 12 h).
	SessionTTL time.Duration
	// Version is reported by /healthz and the OpenAPI document.
	Version string
	// Now is the clock for rate limits; time.Now when nil.
	Now func() time.Time
	// Printers opens the network printers of kiosks, which the server
	// prints to itself; nil when the server prints nothing (kiosks then
	// show their tickets' QR codes instead).
	Printers Printers
	// PublicURL is the address applicants' phones reach the server at, for
	// the live ticket page printed as a QR code, e.g. https://queue.example.ru;
	// empty means the address the kiosk used.
	PublicURL string
	// TrustedProxies are the reverse proxies in front of the server: from
	// them X-Forwarded-For names the client (see clientIP). Empty: the
	// header is ignored.
	TrustedProxies []netip.Prefix
}

// Server is the fiber application with Talon's routes.
type Server struct {
	cfg     Config
	q       *queue.Queue
	log     *slog.Logger
	app     *fiber.App
	msgs    catalog
	prints  *prints
	agents  *agents
	ops     []*op
	spec    []byte
	limiter *limiter
	dummy   string // a password hash checked for unknown logins, so timing tells nothing

	// done ends with Shutdown: long polls and websockets stop waiting on it.
	done context.Context
	stop context.CancelFunc

	feedCache feedCache // encoded feed messages shared by all connections
}

// New builds the server and its routes. It fails only when the embedded
// message catalogue or the OpenAPI document cannot be built.
func New(cfg Config) (*Server, error) {
	if cfg.Queue == nil {
		return nil, fmt.Errorf("web: no queue")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("web: public URL %q: want http(s)://host[:port][/path]", cfg.PublicURL)
		}
		cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	}
	msgs, err := sharedCatalog() // read-only, one per process
	if err != nil {
		return nil, err
	}
	dummy, err := HashPassword("talon-timing-equaliser")
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, q: cfg.Queue, log: cfg.Logger, msgs: msgs, limiter: newLimiter(cfg.Now), dummy: dummy,
		agents: newAgents()}
	s.prints = newPrints(cfg.Now, cfg.Logger)
	s.done, s.stop = context.WithCancel(context.Background())
	s.app = fiber.New(fiber.Config{
		Immutable:             true,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		BodyLimit:             4 << 20,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          90 * time.Second,
		IdleTimeout:           120 * time.Second,
		AppName:               "talon",
	})
	s.app.Use(s.recoverPanics, s.securityHeaders)
	// Pages and their files are compressed for a phone on a poor link; the
	// API (small, hot), websockets and audio are not.
	s.app.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed, Next: func(c *fiber.Ctx) bool {
		p := c.Path()
		return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/ws/") || p == "/healthz" ||
			strings.HasSuffix(p, ".opus") // already compressed audio
	}}))
	s.routes()
	s.printing()
	s.realtime(s.pages())
	if s.spec, err = s.openAPI(); err != nil {
		return nil, err
	}
	s.app.Use(func(c *fiber.Ctx) error {
		return queue.E(queue.KindNotFound, codeRouteNotFound)
	})
	return s, nil
}

// App returns the fiber application, for tests and for mounting.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves HTTP on addr until Shutdown.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web: listen %s: %w", addr, err)
	}
	return s.Serve(ln)
}

// Serve serves HTTP on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting requests, ends long polls and websockets, and
// waits for the running requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	return s.app.ShutdownWithContext(ctx)
}

func (s *Server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in %s %s: %v", c.Method(), c.Route().Path, r) // the route, not the path: /t/{code} is a secret
		}
	}()
	return c.Next()
}

func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Frame-Options", "DENY")
	return c.Next()
}
