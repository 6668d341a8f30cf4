package queue_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// openFlaky sets up queuetest's office in a new file and opens an engine on
// it through a flakyStore; the store and engine are closed at the end of
// the test (again, when the test closed them itself).
func openFlaky(t *testing.T) (q *queue.Queue, store *flakyStore, path string) {
	setup := mustEnv(t)
	path = setup.Path
	setup.Close()
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	store = &flakyStore{Store: s}
	q, err = queue.Open(store, queue.Options{Now: queuetest.NewClock(queuetest.Start).Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, store, path
}

// TestAFailedCommitLosesNothingAcknowledged: while commits fail, every
// caller gets unavailable and nothing of theirs is seen; the writer then
// reloads from the file, so numbering and the queue go on from what was
// acknowledged, in memory and after a restart.
func TestAFailedCommitLosesNothingAcknowledged(t *testing.T) {
	q, store, path := openFlaky(t)
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
	store.Close()

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

// TestAFailedCommitWaitsForThePublisher: a commit fails while the batch
// before it is still being published. The writer may reload only after that
// batch is published: reloading earlier would let the publisher apply it a
// second time to the fresh state, and the feed would show its events twice.
func TestAFailedCommitWaitsForThePublisher(t *testing.T) {
	q, store, _ := openFlaky(t)
	held, release := make(chan struct{}), make(chan struct{})
	var first, released sync.Once
	unblock := func() { released.Do(func() { close(release) }) }
	defer unblock() // before q.Close, which waits for the publisher
	q.SetPublishing(func() {
		first.Do(func() {
			close(held)
			<-release // the first batch is stuck in publishing
		})
	})
	issue := func() error {
		_, err := q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: "tax"})
		return err
	}
	acked := make(chan error, 1)
	go func() { acked <- issue() }()
	<-held
	store.fail.Store(true)
	failed := make(chan error, 1)
	go func() { failed <- issue() }()
	select {
	case err := <-failed:
		t.Fatalf("the failed command was answered (%v) while the batch before it was still being published", err)
	case <-time.After(100 * time.Millisecond):
	}
	unblock()
	if err := <-acked; err != nil {
		t.Fatalf("the first ticket: %v", err)
	}
	wantCode(t, <-failed, queue.CodeUnavailable)
	store.fail.Store(false)
	for err := issue(); err != nil; err = issue() {
		wantCode(t, err, queue.CodeUnavailable) // at most the batch that saw the failure
	}
	events, err := q.Events(ctx, queuetest.Admin().Principal, "test", 0, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(events); i++ {
		if events[i].Seq <= events[i-1].Seq {
			t.Fatalf("the feed repeats or reorders events: seq %d after %d", events[i].Seq, events[i-1].Seq)
		}
	}
	if err := q.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}
