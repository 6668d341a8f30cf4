package benchmarks_test

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain runs the benchmarks with the garbage collector at 400 % (unless
// GOGC is given), the percent `talon serve` uses above its heap floor. The
// floor itself (cmd/talon/gc.go) is left out: without it the figures are, if
// anything, lower than the server's. GOGC=100 in the environment measures
// Go's default.
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(m.Run())
}
