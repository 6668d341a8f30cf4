package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

var sink []byte

// TestGCFloorLetsGarbagePileUp: with a 256 MiB floor, 64 MiB of garbage
// from a small live heap runs no collection, where GOGC=400 alone runs
// several; the policy follows each collection, and stop restores GOGC.
func TestGCFloorLetsGarbagePileUp(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	churn := func() uint32 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		before := m.NumGC
		for range 64 << 10 {
			sink = make([]byte, 1024)
		}
		runtime.ReadMemStats(&m)
		return m.NumGC - before
	}

	debug.SetGCPercent(gcPercent)
	without := churn()

	g := &gcFloor{floor: 256 << 20, percent: gcPercent}
	g.adjust()
	g.arm()
	defer g.stopped.Store(true)
	with := churn()
	if with != 0 || without < 2 {
		t.Errorf("collections during 64 MiB of garbage: %d with a 256 MiB floor (want 0), %d at GOGC=%d alone (want several)", with, without, gcPercent)
	}
	if p := g.last.Load(); p <= gcPercent {
		t.Errorf("GOGC set to %d for a small heap, want more than %d", p, gcPercent)
	}

	// After a collection the cleanup sets GOGC again.
	g.last.Store(0)
	deadline := time.Now().Add(10 * time.Second)
	for g.last.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the policy was not applied again after a collection")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}

	// A live heap above the floor is collected at percent over it.
	big := &gcFloor{floor: 1 << 20, percent: gcPercent}
	big.adjust()
	if p := big.last.Load(); p != gcPercent {
		t.Errorf("GOGC = %d with the live heap above the floor, want %d", p, gcPercent)
	}
}

func TestDefaultGCFloor(t *testing.T) {
	f := defaultGCFloor()
	if f < 64<<20 || f > gcFloorMaxMiB<<20 {
		t.Errorf("default floor %d MiB, want 64…%d MiB", f>>20, gcFloorMaxMiB)
	}
	if mem := totalMemory(); mem != 0 && f > mem/4 {
		t.Errorf("default floor %d MiB above a quarter of memory (%d MiB)", f>>20, mem>>20)
	}
}
