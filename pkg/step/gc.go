package step

import (
	"os"
	"runtime"
	"runtime/debug"
)

// firstCollection is the heap a step process may grow to before its
// first garbage collection.
const firstCollection = 32 << 20

// deferCollection lets a step process allocate its first firstCollection
// bytes without collecting, then hands the collector back to Go's pacing.
// A step is short-lived and, for most plans, its live heap is a few MiB;
// at Go's default the collector runs at every 4 MiB allocated (seven
// cycles in bundle-plan's 100 ms for 200 services), a fifth of its CPU.
// After the first cycle the GOGC the process had applies again, so a
// large plan's step is paced as before, and its memory stays bounded. A
// GOGC or GOMEMLIMIT in the environment is the user's choice and is left
// alone. It returns whether it deferred the collection.
func deferCollection() bool {
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, set := os.LookupEnv(name); set {
			return false
		}
	}
	percent := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(firstCollection)
	// Cleanups run after the first cycle that finds the sentinel
	// unreachable: the first cycle. A sentinel with a pointer is never
	// batched by the tiny allocator, which would keep it alive.
	sentinel := &struct {
		p   *byte
		pad [24]byte
	}{}
	runtime.AddCleanup(sentinel, func(struct{}) {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}, struct{}{})
	return true
}
