package web

import (
	"fmt"
	"testing"
	"time"
)

func TestLoginLimiter(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	l := newLimiter(func() time.Time { return now })
	for range limitPerLoginIP {
		l.fail("10.0.0.1", "op1")
	}
	if l.blocked("10.0.0.1", "op1") == 0 {
		t.Fatal("ten failures from one address do not slow that address down")
	}
	if d := l.blocked("10.0.0.2", "op1"); d != 0 {
		t.Fatalf("the operator at another machine is locked out for %v by someone else's guesses", d)
	}
	// Guessing one login from many addresses meets the loose limit.
	for i := range limitPerLogin {
		l.fail(fmt.Sprintf("10.1.%d.%d", i/250, i%250), "op2")
	}
	if l.blocked("10.9.9.9", "op2") == 0 {
		t.Fatal("a login guessed from a hundred addresses is not slowed down")
	}
	// A success clears that address's count; the window clears the rest.
	l.success("10.0.0.1", "op1")
	if l.blocked("10.0.0.1", "op1") != 0 {
		t.Fatal("a successful login still waits")
	}
	now = now.Add(limitWindow + time.Second)
	if l.blocked("10.9.9.9", "op2") != 0 {
		t.Fatal("failures older than the window still count")
	}
}
