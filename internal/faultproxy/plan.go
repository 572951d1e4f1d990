package faultproxy

import (
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"sync"
)

// Random returns a Plan that gives a request a fault with probability
// rate, drawn from faults (Faults when empty) by a generator seeded with
// seed. A 503 comes as a burst of one to burst requests in a row (burst 0
// means 3). Requests whose method is not in methods (all when empty) pass.
func Random(seed uint64, rate float64, burst int, methods []string, faults ...Fault) Plan {
	if len(faults) == 0 {
		faults = Faults
	}
	if burst <= 0 {
		burst = 3
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	left := 0 // requests left in the current burst of 503
	return func(n int, r *http.Request) Fault {
		if len(methods) > 0 && !contains(methods, r.Method) {
			return None
		}
		mu.Lock()
		defer mu.Unlock()
		if left > 0 {
			left--
			return Status5xx
		}
		if rng.Float64() >= rate {
			return None
		}
		f := faults[rng.IntN(len(faults))]
		if f == Status5xx {
			left = rng.IntN(burst)
		}
		return f
	}
}

// Every returns a Plan that gives every k-th request the fault.
func Every(k int, f Fault) Plan {
	return func(n int, r *http.Request) Fault {
		if n%k == 0 {
			return f
		}
		return None
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newDiscardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
