package bolt_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
)

func mustJSON(t *testing.T, v interface {
	AppendJSON([]byte) ([]byte, error)
}) []byte {
	t.Helper()
	b, err := v.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStoreKeepsWhatItWasGiven writes batches as the engine does, encoded a
// part at a time and spread over several pooled chunks (one record longer
// than a chunk's reserve), and reads every ticket and event back as it was,
// from the same store and from the file opened again.
func TestStoreKeepsWhatItWasGiven(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	var seq uint64
	mk := func(id int, status queue.Status, reason string) (*queue.Ticket, *queue.Event) {
		tk := &queue.Ticket{ID: strconv.Itoa(id), Office: "o", Number: "Ж" + strconv.Itoa(id), Day: "2026-11-24", Service: "паспорт",
			Source: queue.SourceKiosk, Status: status, Code: strconv.Itoa(id) + "-секрет<&>", IssuedAt: at, QueuedAt: at, QueueKey: at, Reason: reason}
		seq++
		return tk, &queue.Event{Seq: seq, Office: "o", Type: queue.EventTicketIssued, At: at, Day: "2026-11-24",
			Actor: queue.Actor{Kind: "client", ID: "kiosk"}, Ticket: tk}
	}
	long := strings.Repeat("очень длинная причина ", 400) // ~17 KB: more than a chunk's reserve
	var want []*queue.Ticket
	var events []*queue.Event
	for round := range 3 {
		b := &queue.Batch{NextTicketID: uint64(300 * (round + 1))}
		for i := range 300 {
			id := round*300 + i + 1
			reason := ""
			if i == 150 {
				reason = long
			}
			tk, e := mk(id, queue.StatusWaiting, reason)
			b.Tickets, b.Events = append(b.Tickets, tk), append(b.Events, e)
			want, events = append(want, tk), append(events, e)
			if i%100 == 99 {
				if err := s.Prepare(b); err != nil { // as the engine does while the last batch syncs
					t.Fatal(err)
				}
			}
		}
		if round == 2 { // a ticket finished in the same batch: only its last version stays active
			done := *b.Tickets[0]
			done.Status = queue.StatusDone
			b.Tickets = append(b.Tickets, &done)
			want = slicesDelete(want, b.Tickets[0].ID)
		}
		if err := s.Commit(b); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *bolt.Store, when string) {
		t.Helper()
		snap, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Tickets) != len(want) || snap.NextTicketID != 900 {
			t.Fatalf("%s: %d active tickets, next id %d; want %d and 900", when, len(snap.Tickets), snap.NextTicketID, len(want))
		}
		byID := map[string]*queue.Ticket{}
		for _, tk := range snap.Tickets {
			byID[tk.ID] = tk
		}
		for _, w := range want {
			got := byID[w.ID]
			if got == nil || !bytes.Equal(mustJSON(t, got), mustJSON(t, w)) {
				t.Fatalf("%s: ticket %s read back as %+v", when, w.ID, got)
			}
		}
		got, err := s.Events("o", 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(events) {
			t.Fatalf("%s: %d events, want %d", when, len(got), len(events))
		}
		for i := range got {
			if !bytes.Equal(mustJSON(t, got[i]), mustJSON(t, events[i])) {
				t.Fatalf("%s: event %d read back differently:\n got %s\nwant %s", when, i+1, mustJSON(t, got[i]), mustJSON(t, events[i]))
			}
		}
	}
	check(s, "same store")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s, "opened again")
}

func slicesDelete(ts []*queue.Ticket, id string) []*queue.Ticket {
	out := ts[:0]
	for _, t := range ts {
		if t.ID != id {
			out = append(out, t)
		}
	}
	return out
}

// TestASecondProcessFailsFast: a second server or an offline command on the
// same file is told at once that the file is in use, instead of hanging.
func TestASecondProcessFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	_, err = bolt.Open(path, bolt.Options{})
	if !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second open took %v", d)
	}
}
