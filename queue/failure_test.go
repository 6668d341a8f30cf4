package queue_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
	"github.com/talon-queue/talon/queue/queuetest"
)

// flakyStore is the real bbolt store whose commits fail while fail is set,
// as a full disk or a pulled cable would make them.
type flakyStore struct {
	*bolt.Store
	fail atomic.Bool
}

func (s *flakyStore) Commit(b *queue.Batch) error {
	if s.fail.Load() {
		return errors.New("disk full")
	}
	return s.Store.Commit(b)
}

// TestAFailedCommitLosesNothingAcknowledged: while commits fail, every
// caller gets unavailable and nothing of theirs is seen; the writer then
// reloads from the file, so numbering and the queue go on from what was
// acknowledged, in memory and after a restart.
func TestAFailedCommitLosesNothingAcknowledged(t *testing.T) {
	setup := mustEnv(t)
	path := setup.Path
	setup.Close()
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := &flakyStore{Store: s}
	clock := queuetest.NewClock(queuetest.Start)
	q, err := queue.Open(store, queue.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	issue := func() (queue.TicketView, error) {
		return q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "tax"})
	}
	var acked []string
	for range 5 {
		v, err := issue()
		if err != nil {
			t.Fatal(err)
		}
		acked = append(acked, v.Number)
	}

	store.fail.Store(true)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 40 {
		wg.Go(func() {
			_, err := issue()
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		wantCode(t, err, queue.CodeUnavailable)
	}

	store.fail.Store(false)
	v, err := issue()
	for i := 0; err != nil && i < 3; i++ { // the batch that noticed the failure may still fail
		v, err = issue()
	}
	if err != nil {
		t.Fatalf("after the disk came back: %v", err)
	}
	if want := "Н006"; v.Number != want {
		t.Errorf("first ticket after the failure is %s, want %s: failed tickets took numbers", v.Number, want)
	}
	acked = append(acked, v.Number)
	check := func(q *queue.Queue, when string) {
		t.Helper()
		list, err := q.Tickets(queuetest.Admin().Principal, "test", queue.TicketFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tk := range list {
			got = append(got, tk.Number)
		}
		if len(got) != len(acked) {
			t.Fatalf("%s: queue %v, want exactly the acknowledged %v", when, got, acked)
		}
		for i := range got {
			if got[i] != acked[i] {
				t.Fatalf("%s: queue %v, want %v", when, got, acked)
			}
		}
	}
	check(q, "after reload")
	q.Close()
	s.Close()

	again := queuetest.MustOpen(t, bolt.Options{})
	again.Close()
	again.Path = path
	again.Reopen()
	check(again.Q, "after restart")
}

// TestAnAnsweredCommandIsVisible: a caller is answered only after its batch
// is in the readers' world. Printable reads only that world (no fallback to
// the store), right after each answer, from 16 callers at once.
func TestAnAnsweredCommandIsVisible(t *testing.T) {
	e := mustEnv(t)
	k := queuetest.Kiosk("test")
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 100 {
				v, err := e.Q.Issue(ctx, k, "test", queue.IssueRequest{Service: "passport"})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := e.Q.Printable(k.Principal, v.ID); err != nil {
					t.Errorf("ticket %s answered but not visible to readers: %v", v.Number, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
