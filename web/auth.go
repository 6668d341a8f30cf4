package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/talon-queue/talon/queue"
)

// Cookie names. The session cookie is HttpOnly; the CSRF cookie is read by
// the pages and sent back in the X-CSRF-Token header (double submit).
const (
	cookieSession = "talon_session"
	cookieCSRF    = "talon_csrf"
	headerCSRF    = "X-CSRF-Token"
	headerIdem    = "Idempotency-Key"
	headerDevice  = "X-Talon-Device"
	localsPrin    = "talon.principal"
)

// LoginRequest is the body of POST /api/v1/auth/login.
type LoginRequest struct {
	Login    string `json:"login" doc:"operator, manager or admin login"`
	Password string `json:"password"`
}

// token returns the caller's secret and whether it came from the cookie.
func token(c *fiber.Ctx) (string, bool) {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), false
		}
		return "", false
	}
	if t := c.Cookies(cookieSession); t != "" {
		return t, true
	}
	return "", false
}

// authenticate finds the principal of a request. Cookie sessions must echo
// the CSRF cookie in a header on every request that changes something.
func (s *Server) authenticate(c *fiber.Ctx) (*queue.Principal, error) {
	t, fromCookie := token(c)
	p, err := s.q.Authenticate(t)
	if err != nil {
		return nil, err
	}
	if fromCookie && c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		want, got := c.Cookies(cookieCSRF), c.Get(headerCSRF)
		if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return nil, queue.E(queue.KindForbidden, codeCSRF)
		}
	}
	return p, nil
}

func (s *Server) login(c *fiber.Ctx, in LoginRequest) (queue.Session, error) {
	login := strings.ToLower(strings.TrimSpace(in.Login))
	if login == "" {
		return queue.Session{}, queue.Invalid("login", queue.RuleRequired)
	}
	if in.Password == "" {
		return queue.Session{}, queue.Invalid("password", queue.RuleRequired)
	}
	ip := s.clientIP(c)
	if wait := s.limiter.blocked(ip, login); wait > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds()+1)))
		return queue.Session{}, queue.E(queue.KindTooMany, queue.CodeTooManyAttempts)
	}
	u, hash, err := s.q.UserByLogin(login)
	if err != nil {
		CheckPassword(s.dummy, in.Password) // the same time as a wrong password
		s.limiter.fail(ip, login)
		return queue.Session{}, queue.E(queue.KindUnauthorized, queue.CodeInvalidCredentials)
	}
	if !CheckPassword(hash, in.Password) {
		s.limiter.fail(ip, login)
		return queue.Session{}, queue.E(queue.KindUnauthorized, queue.CodeInvalidCredentials)
	}
	s.limiter.success(ip, login)
	sess, err := s.q.OpenSession(c.UserContext(), queue.Meta{Principal: queue.System(), Device: device(c), IP: ip}, u.ID, s.cfg.SessionTTL)
	if err != nil {
		return queue.Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return queue.Session{}, err
	}
	// Browser-session cookies: the server ends the session at its expiry,
	// and a shared kiosk-style machine forgets it when the browser closes.
	c.Cookie(&fiber.Cookie{Name: cookieSession, Value: sess.Token, Path: "/",
		HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode})
	c.Cookie(&fiber.Cookie{Name: cookieCSRF, Value: csrf, Path: "/",
		Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode})
	return sess, nil
}

func (s *Server) logout(c *fiber.Ctx, m queue.Meta) error {
	t, _ := token(c)
	if err := s.q.CloseSession(c.UserContext(), m, t); err != nil {
		return err
	}
	for _, n := range []string{cookieSession, cookieCSRF} {
		c.Cookie(&fiber.Cookie{Name: n, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
			HTTPOnly: n == cookieSession, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode})
	}
	return nil
}

// device names the device or program a request came from, for the journal.
func device(c *fiber.Ctx) string {
	d := c.Get(headerDevice)
	if d == "" {
		d = c.Get(fiber.HeaderUserAgent)
	}
	if len(d) > 120 {
		d = d[:120]
	}
	return d
}

// limiter counts failed logins over a sliding window, so that passwords
// cannot be guessed at speed: per login from one address (the tight limit),
// per address, and per login from everywhere (a loose limit against guessing
// from many addresses). Someone typing wrong passwords for a colleague from
// another machine, or many staff behind one proxy, thus cannot lock an
// operator out with ten tries.
type limiter struct {
	now   func() time.Time
	mu    sync.Mutex
	fails map[string][]time.Time
}

const (
	limitWindow     = 10 * time.Minute
	limitPerLoginIP = 10
	limitPerIP      = 50
	limitPerLogin   = 100
)

// limitKeys are the counters a login attempt touches, with their limits.
func limitKeys(ip, login string) []struct {
	key string
	max int
} {
	return []struct {
		key string
		max int
	}{{"p:" + login + "\x00" + ip, limitPerLoginIP}, {"i:" + ip, limitPerIP}, {"l:" + login, limitPerLogin}}
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, fails: map[string][]time.Time{}}
}

func (l *limiter) recent(key string, now time.Time) []time.Time {
	f := l.fails[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) > limitWindow {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = f
	return f
}

// blocked returns how long the caller must wait, or 0.
func (l *limiter) blocked(ip, login string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range limitKeys(ip, login) {
		if f := l.recent(k.key, now); len(f) >= k.max {
			return limitWindow - now.Sub(f[len(f)-k.max])
		}
	}
	return 0
}

func (l *limiter) fail(ip, login string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.fails) > 100000 { // under a flood, forget the oldest rather than grow
		for k := range l.fails {
			l.recent(k, now)
		}
	}
	for _, k := range limitKeys(ip, login) {
		l.fails[k.key] = append(l.fails[k.key], now)
	}
}

// success forgets the failures of login from ip.
func (l *limiter) success(ip, login string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, limitKeys(ip, login)[0].key)
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
