package web_test

import (
	"testing"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/web"
)

// TestLoginLimitsBehindAProxy: behind a trusted reverse proxy the limit
// counts the address the proxy saw, not the proxy's own (which would lock
// every operator out after one guesser) nor one the guesser wrote into
// X-Forwarded-For.
func TestLoginLimitsBehindAProxy(t *testing.T) {
	proxies, err := web.ParseProxies("127.0.0.1, 10.9.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	s := mustServerWith(t, func(c *web.Config) { c.TrustedProxies = proxies })
	anon := s.as("")
	login := func(pw, xff string) (int, []byte) {
		return anon.raw("POST", "/api/v1/auth/login", map[string]string{"login": "op2", "password": pw},
			map[string]string{"X-Forwarded-For": xff})
	}
	// The guesser forges a new leftmost address each time; the proxies
	// (nginx at 10.9.0.3) append the address they saw: 203.0.113.7.
	for i := range 10 {
		login("guess guess", "198.51.100."+string(rune('0'+i))+", 203.0.113.7, 10.9.0.3")
	}
	if st, b := login(password, "198.51.100.99, 203.0.113.7, 10.9.0.3"); st != 429 || apiError(t, b).Code != queue.CodeTooManyAttempts {
		t.Fatalf("the guesser's address after 10 failures: %d %s, want 429", st, b)
	}
	// The operator at another machine, behind the same proxy, logs in.
	if st, b := login(password, "192.0.2.10"); st != 200 {
		t.Fatalf("another client behind the same proxy: %d %s, want 200", st, b)
	}
}

func TestParseProxies(t *testing.T) {
	got, err := web.ParseProxies(" 10.0.0.5 ,192.168.1.7/24, ::1")
	if err != nil || len(got) != 3 || got[0].String() != "10.0.0.5/32" || got[1].String() != "192.168.1.0/24" || got[2].String() != "::1/128" {
		t.Fatalf("ParseProxies = %v, %v", got, err)
	}
	if _, err := web.ParseProxies("10.0.0.300"); err == nil {
		t.Fatal("a bad address was accepted")
	}
}
