package analysis

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProm is a fake Prometheus: a Querier that recognises the built-in
// queries and answers, per destination_version, the values set with set;
// custom queries are answered from custom by exact text, and any other
// query is refused as malformed. The HTTP side of the client is tested in
// package prom, and everything end to end against a real Prometheus in
// realenv_test.go.
type fakeProm struct {
	URL     string
	mu      sync.Mutex
	sides   map[string]fakeSide // by version
	custom  map[string]float64
	err     error // non-nil: every query fails with it
	queries []string
}

type fakeSide struct {
	requests, success, p99 float64 // NaN: no data
}

func newFakeProm(t *testing.T) *fakeProm {
	t.Helper()
	return &fakeProm{URL: "http://prometheus.test:9090", sides: map[string]fakeSide{}, custom: map[string]float64{}}
}

func (f *fakeProm) set(version string, requests, success, p99 float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sides[version] = fakeSide{requests, success, p99}
}

// fail makes every query fail with err (nil heals).
func (f *fakeProm) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeProm) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queries...)
}

func (f *fakeProm) Query(ctx context.Context, q string, at time.Time) (float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	if f.err != nil {
		return math.NaN(), f.err
	}
	if v, ok := f.custom[q]; ok {
		return v, nil
	}
	side := fakeSide{math.NaN(), math.NaN(), math.NaN()}
	for version, s := range f.sides {
		if strings.Contains(q, fmt.Sprintf("destination_version=%q", version)) {
			side = s
		}
	}
	switch {
	case strings.HasPrefix(q, "sum(increase(istio_requests_total{"):
		return side.requests, nil
	case strings.HasPrefix(q, "100 * (1 - (sum(rate(istio_requests_total{"):
		return side.success, nil
	case strings.HasPrefix(q, "histogram_quantile(0.99, "):
		return side.p99, nil
	}
	return math.NaN(), fmt.Errorf("querying prometheus: %w: parse error in %s", ErrBadQuery, q)
}

// instant is an Options.Wait that does not wait, for tests that do not
// measure time.
func instant(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// fakeRouter stands in for the traffic router of the shift-weight step.
type fakeRouter struct {
	mu      sync.Mutex
	weight  int
	history []int
}

func (r *fakeRouter) set(w int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.weight = w
	r.history = append(r.history, w)
}

func (r *fakeRouter) current() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.weight
}

// gate is the canary package's Gate interface, restated here: the analyzer
// must satisfy it without importing the canary package.
type gate interface {
	Check(ctx context.Context, weight int) error
}

var _ gate = (*Analyzer)(nil)

// walk does what the shift-weight step does with a gate: set each weight,
// consult the gate, and on an error send traffic back to 0 and stop.
func walk(ctx context.Context, g gate, r *fakeRouter, weights ...int) error {
	for _, w := range weights {
		r.set(w)
		if err := g.Check(ctx, w); err != nil {
			r.set(0)
			return err
		}
	}
	return nil
}
