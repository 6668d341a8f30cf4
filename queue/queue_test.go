package queue_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
	"github.com/talon-queue/talon/queue/queuetest"
)

var ctx = context.Background()

func mustEnv(t *testing.T) *queuetest.Env {
	t.Helper()
	e := queuetest.MustOpen(t, bolt.Options{})
	e.MustSetup()
	return e
}

func mustIssue(t *testing.T, e *queuetest.Env, req queue.IssueRequest) queue.TicketView {
	t.Helper()
	v, err := e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", req)
	if err != nil {
		t.Fatalf("issue %+v: %v", req, err)
	}
	return v
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := queue.ErrorCode(err); got != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func op(n int) queue.Meta {
	return queuetest.As("op"+string(rune('0'+n)), queue.RoleOperator, "test")
}

func TestIssueCallFinish(t *testing.T) {
	e := mustEnv(t)
	a := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	b := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	if got, want := a.Number, "П001"; got != want {
		t.Fatalf("number = %q, want %q", got, want)
	}
	if got, want := b.Number, "П002"; got != want {
		t.Fatalf("number = %q, want %q", got, want)
	}
	if got, want := b.Position, 2; got != want {
		t.Fatalf("position = %d, want %d", got, want)
	}
	if b.EstimatedWait <= 0 {
		t.Fatalf("estimated wait = %d, want > 0", b.EstimatedWait)
	}
	c, err := e.Q.CallNext(ctx, op(1), "test", 1, queue.CallNextRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Ticket.ID, a.ID; got != want {
		t.Fatalf("called %s, want %s", got, want)
	}
	if c.Why == nil || c.Why.Rule != "score" {
		t.Fatalf("why = %+v", c.Why)
	}
	e.Clock.Add(5 * time.Minute)
	if _, err := e.Q.Start(ctx, op(1), a.ID); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(7 * time.Minute)
	f, err := e.Q.Finish(ctx, op(1), a.ID, queue.FinishRequest{Result: "accepted"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != queue.StatusDone || len(f.History) != 1 || f.History[0].Result != "accepted" {
		t.Fatalf("finished = %+v", f.Ticket)
	}
	// A finished ticket is read from the store.
	got, err := e.Q.Ticket(queuetest.Admin().Principal, a.ID)
	if err != nil || got.Status != queue.StatusDone {
		t.Fatalf("ticket after finish = %+v, %v", got.Ticket, err)
	}
	_, err = e.Q.Finish(ctx, op(1), a.ID, queue.FinishRequest{})
	wantCode(t, err, queue.CodeTicketWrongState)
	// The state survives a restart.
	e.Reopen()
	v, err := e.Q.Ticket(queuetest.Admin().Principal, b.ID)
	if err != nil || v.Status != queue.StatusWaiting || v.Position != 1 {
		t.Fatalf("after reopen: %+v %v", v, err)
	}
	c2, err := e.Q.CallNext(ctx, op(2), "test", 2, queue.CallNextRequest{})
	if err != nil || c2.Ticket.ID != b.ID {
		t.Fatalf("call after reopen: %+v %v", c2.Ticket, err)
	}
	n := mustIssue(t, e, queue.IssueRequest{Service: "passport"})
	if n.Number != "П003" {
		t.Fatalf("numbering after reopen: %s", n.Number)
	}
}

func TestEventsAreGapFree(t *testing.T) {
	e := mustEnv(t)
	for range 5 {
		mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	}
	evs, err := e.Q.Events(ctx, queuetest.Admin().Principal, "test", 0, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
	if last := evs[len(evs)-1]; last.Type != queue.EventTicketIssued || last.Actor.ID != "kiosk-1" {
		t.Fatalf("last event = %+v", last)
	}
	e.Reopen()
	evs2, err := e.Q.Events(ctx, queuetest.Admin().Principal, "test", 0, 100, 0)
	if err != nil || len(evs2) != len(evs) {
		t.Fatalf("after reopen %d events, %v; want %d", len(evs2), err, len(evs))
	}
	v := mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	evs3, _ := e.Q.Events(ctx, queuetest.Admin().Principal, "test", evs[len(evs)-1].Seq, 100, 0)
	if len(evs3) != 1 || evs3[0].Seq != evs[len(evs)-1].Seq+1 || evs3[0].Ticket.ID != v.ID {
		t.Fatalf("event after reopen: %+v", evs3)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := mustEnv(t)
	m := queuetest.Kiosk("test")
	m.IdempotencyKey = "k-1"
	a, err := e.Q.Issue(ctx, m, "test", queue.IssueRequest{Service: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Q.Issue(ctx, m, "test", queue.IssueRequest{Service: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || a.Number != b.Number {
		t.Fatalf("repeat gave %s/%s, first %s/%s", b.ID, b.Number, a.ID, a.Number)
	}
	_, err = e.Q.Issue(ctx, m, "test", queue.IssueRequest{Service: "tax"})
	wantCode(t, err, queue.CodeIdempotencyMismatch)
	e.Reopen()
	c, err := e.Q.Issue(ctx, m, "test", queue.IssueRequest{Service: "passport"})
	if err != nil || c.ID != a.ID {
		t.Fatalf("after reopen: %s %v, want %s", c.ID, err, a.ID)
	}
	var qe *queue.Error
	if !errors.As(err, &qe) && err != nil {
		t.Fatal(err)
	}
}

// TestALateRequestIsNotHeldBack: after a slow commit the writer waits a
// little for the callers it has just answered, so that they share the next
// commit; a request that comes long after is not one of them and must not
// pay that wait (it used to, up to 5 ms, whenever the last commit had been
// slow, however long ago).
func TestALateRequestIsNotHeldBack(t *testing.T) {
	e := queuetest.MustOpen(t, bolt.Options{SyncDelay: 2 * time.Millisecond}) // every commit takes 4 ms or more
	e.MustSetup()
	var waits atomic.Int32
	e.Q.SetWaiting(func() { waits.Add(1) })
	// Callers that come straight back are waited for.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				mustIssue(t, e, queue.IssueRequest{Service: "tax"})
			}
		})
	}
	wg.Wait()
	if waits.Load() == 0 {
		t.Fatal("the writer never waited for callers coming back after a slow commit")
	}
	// One that comes well after (a commit takes ~4 ms; this disk has been
	// seen to stall a sync for 70 ms) is not.
	time.Sleep(250 * time.Millisecond)
	before := waits.Load()
	mustIssue(t, e, queue.IssueRequest{Service: "tax"})
	if waits.Load() != before {
		t.Fatal("a request long after the last commit waited for that commit's callers")
	}
}
