// Package benchmarks holds the engine benchmarks: issue, call-next/finish
// cycles, call-next in a large office and a slow disk, each on a real bbolt
// file with real fsync, with 64 concurrent callers, reporting acknowledged
// commands per second and p50/p99 latency, with the garbage collector set as
// `talon serve` sets it. The package has no code of its own; run it with `go test -run XXX -bench . ./queue/benchmarks/`.
package benchmarks
