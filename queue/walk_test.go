package queue_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
	"github.com/talon-queue/talon/queue/queuetest"
)

// walk drives the engine with a stream of commands chosen by next (which
// returns a number in [0, n)), checking the invariants as it goes: one ticket
// per window, unique numbers, consistent indexes, and memory equal to disk.
// Refusals are fine; an internal error is not.
func walk(t *testing.T, steps int, next func(n int) int) (ok map[int]int) {
	ok = map[int]int{}
	e := queuetest.MustOpen(t, bolt.Options{})
	e.MustSetup()
	services := []string{"passport", "tax", "pension", "results", "docs", "nope"}
	cats := []string{"", "", "veteran", "disabled"}
	var ids []string
	pick := func() string {
		if len(ids) == 0 {
			return "1"
		}
		return ids[next(len(ids))]
	}
	manager := queuetest.As("boss", queue.RoleManager, "test")
	at := map[int]string{} // the ticket last called to each window
	// mine picks, mostly, the ticket called to window w: an operator acts
	// on the visitor in front of them.
	mine := func(w int) string {
		if id := at[w]; id != "" && next(4) != 0 {
			return id
		}
		return pick()
	}
	for i := 0; i < steps; i++ {
		w := next(4) + 1
		m := op(w)
		var err error
		step := next(16)
		switch step {
		case 0, 1, 2:
			var v queue.TicketView
			v, err = e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: services[next(len(services))], Category: cats[next(len(cats))]})
			if err == nil {
				ids = append(ids, v.ID)
			}
		case 3, 4:
			var c queue.Call
			if c, err = e.Q.CallNext(ctx, m, "test", w, queue.CallNextRequest{}); err == nil {
				at[w] = c.Ticket.ID
			}
		case 5:
			_, err = e.Q.Recall(ctx, m, mine(w))
		case 6:
			_, err = e.Q.Start(ctx, m, mine(w))
		case 7, 8:
			var then []string
			if next(4) == 0 {
				then = []string{"tax"}
			}
			_, err = e.Q.Finish(ctx, m, mine(w), queue.FinishRequest{Next: then})
		case 9:
			_, err = e.Q.Postpone(ctx, m, mine(w), queue.PostponeRequest{Minutes: next(20) + 1, OnlyMe: next(2) == 0})
		case 10:
			_, err = e.Q.Redirect(ctx, m, mine(w), queue.RedirectRequest{Service: services[next(3)], Window: next(5), KeepPlace: next(2) == 0, Return: next(2) == 0})
		case 11:
			_, err = e.Q.Bind(ctx, manager, pick(), queue.BindRequest{Window: next(5)})
		case 12:
			if next(2) == 0 {
				_, err = e.Q.NoShow(ctx, m, mine(w))
			} else {
				_, err = e.Q.Cancel(ctx, manager, pick(), queue.CancelRequest{})
			}
		case 13:
			_, err = e.Q.Break(ctx, m, "test", w, next(2) == 0, queue.WindowRequest{})
		case 14:
			e.Clock.Add(time.Duration(next(30)) * time.Minute)
			err = e.Q.Tick(ctx)
		case 15:
			switch next(8) {
			case 0:
				e.Reopen()
			case 1:
				_, err = e.Q.CloseDay(ctx, manager, "test", "")
			case 2:
				e.Clock.Add(time.Duration(next(20)) * time.Hour)
			default:
				var c queue.Call
				if c, err = e.Q.Call(ctx, m, "test", w, queue.CallRequest{Number: "П00" + string(rune('1'+next(9)))}); err == nil {
					at[w] = c.Ticket.ID
				}
			}
		}
		if err != nil && queue.ErrorKind(err) == queue.KindInternal {
			t.Fatalf("step %d: internal error: %v", i, err)
		}
		if err == nil {
			ok[step]++
		}
		if i%25 == 0 || i == steps-1 {
			if err := e.Q.CheckInvariants(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
	}
	return ok
}

func TestRandomWalk(t *testing.T) {
	done := map[int]int{}
	for seed := uint64(1); seed <= 4; seed++ {
		r := rand.New(rand.NewPCG(seed, seed*7919))
		for step, n := range walk(t, 600, func(n int) int { return r.IntN(n) }) {
			done[step] += n
		}
	}
	// A walk where the engine refuses some kind of command every time would
	// prove nothing about it.
	for step := range 16 {
		if done[step] == 0 {
			t.Errorf("step kind %d never succeeded in the walks", step)
		}
	}
}

// FuzzEngine lets `go test -fuzz=FuzzEngine ./queue` search for command
// sequences that break an invariant.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 3, 1, 7, 2, 9, 3, 14, 0, 10, 5, 11, 1, 12, 2, 15})
	f.Add([]byte{1, 0, 1, 1, 2, 3, 2, 4, 3, 5, 0, 6, 1, 7, 9, 8, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		i := 0
		walk(t, len(data), func(n int) int {
			if i >= len(data) {
				return 0
			}
			i++
			return int(data[i-1]) % n
		})
	})
}
