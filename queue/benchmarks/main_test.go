package benchmarks_test

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain runs the benchmarks with the garbage collector set as `talon
// serve` sets it (400 %, unless GOGC is given), so that the figures are
// those of the server. GOGC=100 in the environment measures the default.
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(m.Run())
}
