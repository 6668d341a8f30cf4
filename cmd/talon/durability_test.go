package main

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ack is the most advanced state of a ticket that the server acknowledged.
type ack struct {
	number string
	status string
}

// statusRank orders the statuses a ticket passes through in this test.
func statusRank(status string) (int, bool) {
	switch status {
	case "waiting":
		return 0, true
	case "called":
		return 1, true
	case "done":
		return 2, true
	}
	return -1, false
}

// acks records acknowledged tickets from many goroutines.
type acks struct {
	mu      sync.Mutex
	tickets map[string]ack
	issued  atomic.Int64
	done    atomic.Int64
}

func (a *acks) set(id, number, status string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	old, ok := a.tickets[id]
	if number == "" {
		number = old.number
	}
	r, _ := statusRank(status)
	if o, _ := statusRank(old.status); !ok || r > o {
		a.tickets[id] = ack{number: number, status: status}
	}
}

// TestKillNineKeepsAcknowledgedTickets kills the server with SIGKILL while
// kiosks issue and operators call and finish tickets, and checks after a
// restart that every acknowledged ticket is there in the acknowledged state.
// An answer is sent only after its commit is fsynced, so nothing that was
// answered may be lost.
func TestKillNineKeepsAcknowledgedTickets(t *testing.T) {
	bin := mustBuild(t)
	data := t.TempDir()
	p := mustServe(t, bin, data, "--demo")
	cr := mustCredentials(t, data)
	c := newClient(p.url)
	ops := make([]string, len(cr.Operators))
	for i, o := range cr.Operators {
		ops[i] = c.mustLogin(t, o.Login, o.Password)
	}

	const (
		issuers    = 8
		wantIssued = 200
		wantDone   = 30
	)
	// Services without a daily limit, so that every issue can succeed.
	services := []string{"passport", "registration", "snils", "inn", "egrn", "consultation", "results"}
	a := &acks{tickets: map[string]ack{}}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, issuers+len(ops))
	deadline := time.Now().Add(2 * time.Minute) // the loops stop by themselves
	for w := range issuers {
		wg.Go(func() {
			for i := 0; !stop.Load() && time.Now().Before(deadline); i++ {
				var tk struct{ ID, Number, Status string }
				st, body, err := c.do("POST", "/api/v1/offices/mfc-demo/tickets", cr.Devices.Kiosk,
					map[string]string{"service": services[(w+i)%len(services)]}, &tk)
				if err != nil || stop.Load() {
					return // killed
				}
				if st != http.StatusCreated {
					errs <- fmt.Errorf("issue: %d %s", st, body)
					return
				}
				a.set(tk.ID, tk.Number, tk.Status)
				a.issued.Add(1)
			}
		})
	}
	for i, tok := range ops {
		window := cr.Operators[i].Window
		wg.Go(func() {
			for !stop.Load() && time.Now().Before(deadline) {
				var call struct {
					Ticket struct{ ID, Number, Status string }
				}
				st, body, err := c.do("POST", fmt.Sprintf("/api/v1/offices/mfc-demo/windows/%d/call-next", window), tok, nil, &call)
				if err != nil {
					return
				}
				if st == http.StatusConflict { // queue_empty
					time.Sleep(5 * time.Millisecond)
					continue
				}
				if st != http.StatusOK {
					errs <- fmt.Errorf("call-next %d: %d %s", window, st, body)
					return
				}
				a.set(call.Ticket.ID, call.Ticket.Number, call.Ticket.Status)
				var fin struct{ ID, Number, Status string }
				st, body, err = c.do("POST", "/api/v1/tickets/"+call.Ticket.ID+"/finish", tok, map[string]string{}, &fin)
				if err != nil {
					return
				}
				if st != http.StatusOK {
					errs <- fmt.Errorf("finish %s: %d %s", call.Ticket.ID, st, body)
					return
				}
				a.set(fin.ID, fin.Number, fin.Status)
				a.done.Add(1)
			}
		})
	}
	for a.issued.Load() < wantIssued || a.done.Load() < wantDone {
		if time.Now().After(deadline) {
			t.Fatalf("only %d issued and %d finished in time", a.issued.Load(), a.done.Load())
		}
		select {
		case err := <-errs:
			t.Fatal(err)
		case <-time.After(time.Millisecond):
		}
	}
	p.kill9(t) // with requests in flight
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("killed after %d acknowledged issues and %d finishes", a.issued.Load(), a.done.Load())

	p = mustServe(t, bin, data, "--demo")
	c = newClient(p.url)
	ahead := 0
	numbers := map[string]bool{}
	for id, want := range a.tickets {
		var got struct{ Number, Status string }
		c.must(t, "GET", "/api/v1/tickets/"+id, cr.APIKey, nil, http.StatusOK, &got)
		numbers[got.Number] = true
		if got.Number != want.number {
			t.Errorf("ticket %s: number %s, acknowledged %s", id, got.Number, want.number)
		}
		r, ok := statusRank(got.Status)
		w, _ := statusRank(want.status)
		switch {
		case !ok || r < w:
			t.Errorf("ticket %s (%s): %s after restart, acknowledged %s", id, want.number, got.Status, want.status)
		case r > w:
			ahead++ // an operator's request that was in flight when the server died
		}
	}
	if ahead > len(ops) {
		t.Errorf("%d tickets are further than acknowledged; at most %d requests of operators were in flight", ahead, len(ops))
	}
	// The day's counters survived too: new tickets get new numbers.
	for _, s := range services {
		var tk struct{ Number string }
		c.must(t, "POST", "/api/v1/offices/mfc-demo/tickets", cr.Devices.Kiosk, map[string]string{"service": s}, http.StatusCreated, &tk)
		if numbers[tk.Number] {
			t.Errorf("number %s issued again after the restart", tk.Number)
		}
	}
	p.mustStop(t)
}
