package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// The server's garbage collector policy. The live heap is the queue itself
// (every active ticket) and is small in an office: a few megabytes. With
// Go's default the collector runs each time that much garbage has piled
// up, under load many times a second, and every cycle's mark phase takes
// CPU from the writer and the HTTP handlers: it made the slowest requests
// (p99) two to three times slower than the rest. So serve keeps the heap
// goal at least a floor (a quarter of the machine's memory, at most 1 GiB)
// and 5× the live heap above it. Go still collects at least every two
// minutes, so an idle server returns its memory. GOGC or GOMEMLIMIT in the
// environment, or --gc-floor-mb 0, leave the runtime's own policy.
const (
	gcPercent     = 400
	gcFloorMaxMiB = 1024
)

// defaultGCFloor is a quarter of the memory this process may use, at most
// gcFloorMaxMiB; 256 MiB when the memory is unknown.
func defaultGCFloor() uint64 {
	mem := totalMemory()
	if mem == 0 {
		return 256 << 20
	}
	return min(mem/4, gcFloorMaxMiB<<20)
}

// gcFloor keeps the collector's heap goal at max(floor, live × (1 +
// percent/100)) by setting GOGC after every collection.
type gcFloor struct {
	floor   uint64
	percent int
	last    atomic.Int64 // the GOGC set last, for tests
	stopped atomic.Bool
}

// startGCFloor applies the policy until stop is called, which restores
// GOGC at percent.
func startGCFloor(floor uint64, percent int) (stop func()) {
	g := &gcFloor{floor: floor, percent: percent}
	g.adjust()
	g.arm()
	return func() {
		g.stopped.Store(true)
		debug.SetGCPercent(percent)
	}
}

// gcSentinel becomes garbage at once; its cleanup runs after the next
// collection. (It holds a pointer and is not tiny, so it is not batched
// with other small objects.)
type gcSentinel struct {
	_ *byte
	_ [16]byte
}

func (g *gcFloor) arm() {
	runtime.AddCleanup(new(gcSentinel), func(g *gcFloor) {
		if !g.stopped.Load() {
			g.adjust()
			g.arm()
		}
	}, g)
}

// adjust sets GOGC for the next cycle: the goal is the floor while the live
// heap is small, and percent over the live heap once that is more.
func (g *gcFloor) adjust() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	p := g.percent
	if s[0].Value.Kind() == metrics.KindUint64 {
		if live := max(s[0].Value.Uint64(), 1<<20); live < g.floor {
			p = max(p, int((g.floor-live)*100/live))
		}
	}
	g.last.Store(int64(p))
	debug.SetGCPercent(p)
}
