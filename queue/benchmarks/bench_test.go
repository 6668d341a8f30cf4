package benchmarks_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/talon-queue/talon/queue"
	"github.com/talon-queue/talon/queue/bolt"
	"github.com/talon-queue/talon/queue/queuetest"
)

// callers is the number of concurrent callers of the speed targets.
const callers = 64

var ctx = context.Background()

// setCallers makes RunParallel use at least n goroutines.
func setCallers(b *testing.B, n int) {
	p := runtime.GOMAXPROCS(0)
	b.SetParallelism((n + p - 1) / p)
}

// services are the issuable services of queuetest.Office without a daily limit.
var services = []string{"passport", "tax"}

// mustOffice opens an engine (real bbolt file, real fsync) with queuetest's
// office given n windows, each serving passport and tax at rank 1, and
// operators op1…opN (op<k> for window k).
func mustOffice(b *testing.B, n int, o bolt.Options) *queuetest.Env {
	b.Helper()
	e := queuetest.MustOpen(b, o)
	cfg := queuetest.Office()
	cfg.Windows = nil
	doc := queue.Document{Version: 1}
	for k := 1; k <= n; k++ {
		cfg.Windows = append(cfg.Windows, queue.Window{Number: k, Active: true,
			Services: []queue.WindowService{{Service: "docs", Rank: 1}}})
		id := fmt.Sprintf("op%d", k)
		doc.Users = append(doc.Users, queue.User{ID: id, Login: id, Name: id, Role: queue.RoleOperator, Office: "test", Active: true})
	}
	doc.Offices = []queue.OfficeConfig{cfg}
	if _, err := e.Q.Import(ctx, queuetest.Admin(), doc); err != nil {
		b.Fatal(err)
	}
	return e
}

func operator(k int) queue.Meta {
	return queuetest.As(fmt.Sprintf("op%d", k), queue.RoleOperator, "test")
}

var kiosk = queuetest.Kiosk("test")

// mustFill issues n tickets with 64 concurrent kiosks.
func mustFill(b *testing.B, e *queuetest.Env, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if _, err := e.Q.Issue(ctx, kiosk, "test", queue.IssueRequest{Service: services[i%2]}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// latencies gathers the durations measured by all goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

// report adds p50 and p99 in milliseconds as metrics, named prefix+"p50-ms".
func (l *latencies) report(b *testing.B, prefix string) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	at := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), prefix+"p50-ms")
	b.ReportMetric(at(0.99), prefix+"p99-ms")
}

func reportRate(b *testing.B, n int, unit string) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit)
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the process's CPU time per command since start, in
// microseconds: unlike the rate it hardly moves with the disk's pace, so a
// change to the engine's work shows in it when the rate is lost in noise.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/cmd")
}

// timed runs fn and appends its duration to d.
func timed(d *[]time.Duration, fn func() error) error {
	t := time.Now()
	err := fn()
	*d = append(*d, time.Since(t))
	return err
}

// BenchmarkIssue issues tickets from 64 concurrent kiosks. Each operation is
// one acknowledged (committed and synced) command; the queue grows by b.N.
func BenchmarkIssue(b *testing.B) {
	benchIssue(b, bolt.Options{})
}

// BenchmarkSlowDisk is BenchmarkIssue on a disk that takes 10 ms per sync.
func BenchmarkSlowDisk(b *testing.B) {
	benchIssue(b, bolt.Options{SyncDelay: 10 * time.Millisecond})
}

func benchIssue(b *testing.B, o bolt.Options) {
	e := mustOffice(b, 4, o)
	var lat latencies
	var id atomic.Int64
	setCallers(b, callers)
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		req := queue.IssueRequest{Service: services[id.Add(1)%2]}
		var d []time.Duration
		defer func() { lat.add(d) }()
		for pb.Next() {
			if err := timed(&d, func() error {
				_, err := e.Q.Issue(ctx, kiosk, "test", req)
				return err
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportRate(b, b.N, "cmds/s")
	reportCPU(b, cpu)
	lat.report(b, "")
}

// BenchmarkCallNextFinish runs 64 operators, each at their own window, in
// cycles of call-next, finish and one issue that refills the queue, so ~1,000
// tickets keep waiting. Every command counts as one operation.
func BenchmarkCallNextFinish(b *testing.B) {
	e := mustOffice(b, callers, bolt.Options{})
	mustFill(b, e, 1000)
	var lat, calls latencies
	var windows atomic.Int64
	setCallers(b, callers)
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		w := int(windows.Add(1)-1)%callers + 1
		m := operator(w)
		req := queue.IssueRequest{Service: services[w%2]}
		var d, dc []time.Duration
		defer func() { lat.add(d); calls.add(dc) }()
		var held string
		for step := 0; pb.Next(); step = (step + 1) % 3 {
			var err error
			switch step {
			case 0:
				t := time.Now()
				var c queue.Call
				c, err = e.Q.CallNext(ctx, m, "test", w, queue.CallNextRequest{})
				held = c.Ticket.ID
				d, dc = append(d, time.Since(t)), append(dc, time.Since(t))
			case 1:
				err = timed(&d, func() error { _, err := e.Q.Finish(ctx, m, held, queue.FinishRequest{}); return err })
			case 2:
				err = timed(&d, func() error { _, err := e.Q.Issue(ctx, kiosk, "test", req); return err })
			}
			if err != nil {
				b.Errorf("window %d step %d: %v", w, step, err)
				return
			}
		}
	})
	b.StopTimer()
	reportRate(b, b.N, "cmds/s")
	reportCPU(b, cpu)
	lat.report(b, "")
	calls.report(b, "call-")
}

// BenchmarkCallNextLarge measures call-next in an office of 200 windows (each
// serving every service, an operator at each) with 5,000 tickets waiting. Each
// operation is one call-next; after it the window finishes the ticket and a
// kiosk issues a new one, so the queue stays at 5,000. With callers=1 one
// operator at a time presses the button (the engine's own latency); with
// callers=200 every window presses at once.
func BenchmarkCallNextLarge(b *testing.B) {
	const windows, waiting = 200, 5000
	b.Run("callers=1", func(b *testing.B) {
		e := mustOffice(b, windows, bolt.Options{})
		mustFill(b, e, waiting)
		var lat latencies
		d := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			w := i%windows + 1
			m := operator(w)
			t := time.Now()
			c, err := e.Q.CallNext(ctx, m, "test", w, queue.CallNextRequest{})
			d = append(d, time.Since(t))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.Q.Finish(ctx, m, c.Ticket.ID, queue.FinishRequest{}); err != nil {
				b.Fatal(err)
			}
			if _, err := e.Q.Issue(ctx, kiosk, "test", queue.IssueRequest{Service: services[i%2]}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		lat.add(d)
		reportRate(b, b.N, "calls/s")
		lat.report(b, "call-")
	})
	b.Run(fmt.Sprintf("callers=%d", windows), func(b *testing.B) {
		e := mustOffice(b, windows, bolt.Options{})
		mustFill(b, e, waiting)
		var lat latencies
		var next atomic.Int64
		setCallers(b, windows)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			w := int(next.Add(1)-1)%windows + 1
			m := operator(w)
			req := queue.IssueRequest{Service: services[w%2]}
			var d []time.Duration
			defer func() { lat.add(d) }()
			for pb.Next() {
				t := time.Now()
				c, err := e.Q.CallNext(ctx, m, "test", w, queue.CallNextRequest{})
				d = append(d, time.Since(t))
				if err == nil {
					_, err = e.Q.Finish(ctx, m, c.Ticket.ID, queue.FinishRequest{})
				}
				if err == nil {
					_, err = e.Q.Issue(ctx, kiosk, "test", req)
				}
				if err != nil {
					b.Errorf("window %d: %v", w, err)
					return
				}
			}
		})
		b.StopTimer()
		reportRate(b, b.N, "calls/s")
		lat.report(b, "call-")
	})
}
