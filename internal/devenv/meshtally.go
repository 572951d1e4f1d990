package devenv

import (
	"sync"
	"time"
)

// Answer is one answer to a request: who called which host, which pod's
// workload answered (empty when none did) and the HTTP status (0 when no
// response came).
type Answer struct {
	Caller                                string // "<namespace>/<workload>"
	Host                                  string
	Cluster, Namespace, Workload, Version string
	Code                                  int
	// At is when the request was sent.
	At time.Time
}

// Tally is a list of answers, in the order they were given (roughly:
// requests overlap).
type Tally []Answer

// Since keeps the answers to requests sent at or after t.
func (t Tally) Since(at time.Time) Tally {
	var out Tally
	for _, a := range t {
		if !a.At.Before(at) {
			out = append(out, a)
		}
	}
	return out
}

// Between keeps the answers to requests sent in [from, to).
func (t Tally) Between(from, to time.Time) Tally {
	var out Tally
	for _, a := range t {
		if !a.At.Before(from) && a.At.Before(to) {
			out = append(out, a)
		}
	}
	return out
}

// To keeps the answers to requests addressed to host.
func (t Tally) To(host string) Tally {
	var out Tally
	for _, a := range t {
		if a.Host == host {
			out = append(out, a)
		}
	}
	return out
}

// ByVersion counts answers by the answering pod's version label ("" for
// requests no pod answered).
func (t Tally) ByVersion() map[string]int {
	out := map[string]int{}
	for _, a := range t {
		out[a.Version]++
	}
	return out
}

// ByCluster counts answers by the answering pod's cluster ID ("" for
// requests no pod answered).
func (t Tally) ByCluster() map[string]int {
	out := map[string]int{}
	for _, a := range t {
		out[a.Cluster]++
	}
	return out
}

// Failed counts answers whose status is not 200, by version.
func (t Tally) Failed() map[string]int {
	out := map[string]int{}
	for _, a := range t {
		if a.Code != 200 {
			out[a.Version]++
		}
	}
	return out
}

// maxTally bounds the answers a mesh keeps (the oldest go first).
const maxTally = 2_000_000

type tally struct {
	mu      sync.Mutex
	answers []Answer
}

func (t *tally) add(a Answer, at time.Time) {
	a.At = at
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.answers) >= maxTally {
		t.answers = append(t.answers[:0:0], t.answers[len(t.answers)/2:]...)
	}
	t.answers = append(t.answers, a)
}

func (t *tally) snapshot() Tally {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append(Tally(nil), t.answers...)
}
