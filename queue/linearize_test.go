package queue_test

import (
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
	"github.com/talon-queue/talon/queue/queuetest"
)

// The linearizability check: concurrent kiosks and operators work one office
// on a real bbolt file, and porcupine looks for an order of their commands,
// consistent with when each was called and answered, in which a sequential
// model of the queue gives the very answers the engine gave.
//
// The clock stands still, so every ticket has waited zero minutes and the
// engine's choice reduces to: the best rank the window has for a waiting
// ticket's service (RankWeight is 10 minutes a step), then the oldest ticket,
// that is the lowest id.

// linServices are the services issued; pension has a daily limit of 5.
var linServices = []string{"passport", "tax", "pension"}

// linWindows are the windows operators work, with the rank of each service
// (index as linServices; 0 = not served).
var linWindows = map[int][3]int{
	1: {1, 2, 0}, // passport, tax at rank 2
	2: {1, 2, 0},
	3: {0, 1, 1}, // tax and pension, same rank: the older ticket first
	5: {1, 1, 0}, // passport and tax at the same rank: the older ticket first
	6: {3, 0, 1}, // pension, passport at rank 3
	7: {0, 1, 0}, // tax only
}

const linPensionLimit = 5

type linKind int

const (
	linIssue linKind = iota
	linCallNext
	linFinish
)

type linInput struct {
	kind    linKind
	service int // issue: index in linServices
	window  int // call-next, finish
	ticket  int // finish
}

type linOutput struct {
	ticket int    // issue, call-next: the ticket id
	code   string // error code, "" on success
}

// linState is the model: the waiting tickets of each service in the order
// they are called, what each window holds, and what was issued. Step never
// changes a state in place: queues are only appended to as copies.
type linState struct {
	last   int      // the last ticket id: only issues make tickets, so ids are 1, 2, 3… in issue order (this also keeps the search short)
	queues [3][]int // waiting ticket ids per service, oldest first
	issued [3]int   // tickets issued per service today
	window [8]int   // ticket called to window n (0 = none)
}

func linStep(s0, in0, out0 any) (bool, any) {
	s, in, out := s0.(linState), in0.(linInput), out0.(linOutput)
	switch in.kind {
	case linIssue:
		full := in.service == 2 && s.issued[2] >= linPensionLimit
		if full {
			return out.code == queue.CodeDailyLimit, s
		}
		if out.code != "" || out.ticket != s.last+1 {
			return false, s
		}
		s.last = out.ticket
		s.queues[in.service] = append(slices.Clip(s.queues[in.service]), out.ticket)
		s.issued[in.service]++
		return true, s
	case linCallNext:
		if s.window[in.window] != 0 {
			return out.code == queue.CodeWindowBusy, s
		}
		best, from := 0, -1
		for i, rank := range linWindows[in.window] {
			if rank == 0 || len(s.queues[i]) == 0 {
				continue
			}
			head := s.queues[i][0]
			if from < 0 || rank < linWindows[in.window][from] || rank == linWindows[in.window][from] && head < best {
				best, from = head, i
			}
		}
		if from < 0 {
			return out.code == queue.CodeQueueEmpty, s
		}
		if out.code != "" || out.ticket != best {
			return false, s
		}
		s.queues[from] = s.queues[from][1:]
		s.window[in.window] = best
		return true, s
	case linFinish:
		if s.window[in.window] != in.ticket {
			return out.code != "", s
		}
		if out.code != "" {
			return false, s
		}
		s.window[in.window] = 0
		return true, s
	}
	return false, s
}

func linEqual(a0, b0 any) bool {
	a, b := a0.(linState), b0.(linState)
	if a.last != b.last || a.issued != b.issued || a.window != b.window {
		return false
	}
	for i := range a.queues {
		if !slices.Equal(a.queues[i], b.queues[i]) {
			return false
		}
	}
	return true
}

func linHash(s0 any) uint64 {
	s := s0.(linState)
	h := fnv.New64a()
	fmt.Fprint(h, s.last, s.issued, s.window, s.queues)
	return h.Sum64()
}

var linModel = porcupine.Model{
	Init:  func() any { return linState{} },
	Step:  linStep,
	Equal: linEqual,
	Hash:  linHash,
	DescribeOperation: func(in0, out0 any) string {
		in, out := in0.(linInput), out0.(linOutput)
		res := fmt.Sprint(out.ticket)
		if out.code != "" {
			res = out.code
		}
		switch in.kind {
		case linIssue:
			return fmt.Sprintf("issue(%s) → %s", linServices[in.service], res)
		case linCallNext:
			return fmt.Sprintf("call-next(window %d) → %s", in.window, res)
		default:
			return fmt.Sprintf("finish(window %d, %d) → %s", in.window, in.ticket, res)
		}
	},
	DescribeState: func(s0 any) string {
		s := s0.(linState)
		return fmt.Sprintf("waiting %v, windows %v, issued %v", s.queues, s.window, s.issued)
	},
}

// mustLinOffice opens an engine whose office has the windows of linWindows
// and an operator op<n> for each.
func mustLinOffice(t *testing.T) *queuetest.Env {
	t.Helper()
	e := queuetest.MustOpen(t, bolt.Options{})
	cfg := queuetest.Office()
	cfg.Windows = nil
	doc := queue.Document{Version: 1}
	for _, n := range slices.Sorted(maps.Keys(linWindows)) {
		w := queue.Window{Number: n, Active: true}
		for i, rank := range linWindows[n] {
			if rank > 0 {
				w.Services = append(w.Services, queue.WindowService{Service: linServices[i], Rank: rank})
			}
		}
		cfg.Windows = append(cfg.Windows, w)
		id := fmt.Sprintf("op%d", n)
		doc.Users = append(doc.Users, queue.User{ID: id, Login: id, Name: id, Role: queue.RoleOperator, Office: "test", Active: true})
	}
	doc.Offices = []queue.OfficeConfig{cfg}
	if _, err := e.Q.Import(ctx, queuetest.Admin(), doc); err != nil {
		t.Fatal(err)
	}
	return e
}

// linCode returns the error code of err, "" for none.
func linCode(err error) string {
	if err == nil {
		return ""
	}
	return queue.ErrorCode(err)
}

// ticketNumber returns a ticket id as a number (0 for none).
func ticketNumber(id string) int {
	n, _ := strconv.Atoi(id)
	return n
}

func TestLinearizable(t *testing.T) {
	const (
		kiosks    = 10
		kioskOps  = 25 // issues per kiosk
		operOps   = 60 // commands per operator (call-next or finish)
		checkTime = 5 * time.Second
	)
	e := mustLinOffice(t)
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		wg      sync.WaitGroup
	)
	start := time.Now()
	record := func(client int, in linInput, do func() linOutput) {
		call := time.Since(start).Nanoseconds()
		out := do()
		ret := time.Since(start).Nanoseconds()
		mu.Lock()
		history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
		mu.Unlock()
	}
	client := 0
	for _, n := range slices.Sorted(maps.Keys(linWindows)) {
		id, m := client, queuetest.As(fmt.Sprintf("op%d", n), queue.RoleOperator, "test")
		client++
		wg.Go(func() {
			held := ""
			for range operOps {
				if held == "" {
					record(id, linInput{kind: linCallNext, window: n}, func() linOutput {
						c, err := e.Q.CallNext(ctx, m, "test", n, queue.CallNextRequest{})
						held = c.Ticket.ID
						return linOutput{ticket: ticketNumber(c.Ticket.ID), code: linCode(err)}
					})
					continue
				}
				in := linInput{kind: linFinish, window: n, ticket: ticketNumber(held)}
				record(id, in, func() linOutput {
					_, err := e.Q.Finish(ctx, m, held, queue.FinishRequest{})
					held = ""
					return linOutput{code: linCode(err)}
				})
			}
		})
	}
	for k := range kiosks {
		id := client + k
		rng := rand.New(rand.NewPCG(uint64(k), 7))
		wg.Go(func() {
			for range kioskOps {
				s := []int{0, 0, 0, 1, 1, 1, 2}[rng.IntN(7)]
				record(id, linInput{kind: linIssue, service: s}, func() linOutput {
					v, err := e.Q.Issue(ctx, queuetest.Kiosk("test"), "test", queue.IssueRequest{Service: linServices[s]})
					return linOutput{ticket: ticketNumber(v.ID), code: linCode(err)}
				})
			}
		})
	}
	wg.Wait()

	ran := time.Since(start)
	codes := map[string]int{}
	for _, o := range history {
		codes[o.Output.(linOutput).code]++
	}
	res, info := porcupine.CheckOperationsVerbose(linModel, history, checkTime)
	t.Logf("%d operations in %v, answers %v; checked in %v: %s", len(history), ran.Round(time.Millisecond), codes, (time.Since(start) - ran).Round(time.Millisecond), res)
	if res == porcupine.Ok {
		return
	}
	path := t.ArtifactDir() + "/linearizability.html"
	if err := porcupine.VisualizePath(linModel, info, path); err != nil {
		t.Log(err)
	}
	t.Fatalf("history of %d operations: %s (visualization: %s, kept with -artifacts)", len(history), res, path)
}
