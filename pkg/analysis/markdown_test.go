package analysis

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeClock is a clock that only moves when the analyzer waits.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) wait(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.t = c.t.Add(d)
	}
	return ctx.Err()
}

func TestMarkdownGolden(t *testing.T) {
	prom := newFakeProm(t)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	clock := &fakeClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	spec := Spec{
		Interval:      Duration{Duration: 10 * time.Second},
		CompareStable: &StableComparison{},
		Webhooks:      []Webhook{{Name: "smoke-test", URL: hook.URL}},
	}
	a := newTestAnalyzer(t, prom, spec, Options{Now: clock.now, Wait: clock.wait})

	prom.set("v1", 900, 99.5, 120)
	prom.set("v2", 10, 100, 90) // first measurement: too little traffic
	steps := []struct {
		weight int
		after  func(i int)
	}{
		{10, func(i int) { prom.set("v2", 120, 99.9, 95) }},
		{25, func(i int) { prom.set("v2", 300, 96.5, 140) }}, // errors start
	}
	for _, s := range steps {
		a.opts.OnMeasurement = func(m Measurement) { s.after(m.Index) }
		_ = a.Check(t.Context(), s.weight)
	}
	got := a.Markdown()
	path := filepath.Join("testdata", "report.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden file (go test -run TestMarkdownGolden -update writes it): %v", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("Markdown() differs from %s (-want +got):\n%s", path, d)
	}
	for _, want := range []string{"```mermaid\nxychart-beta\n", "#### Step 1: weight 10% — ✅ pass", "#### Step 2: weight 25% — ❌ fail", "Webhook `smoke-test` for api: ✅ pass"} {
		if !strings.Contains(got, want) {
			t.Errorf("Markdown() lacks %q", want)
		}
	}
}

func TestMeasurementLine(t *testing.T) {
	spec := Spec{}.WithDefaults()
	ok := Evaluate([]Readings{readings(120, nan, 99.9, nan, 95, nan)}, spec)
	bad := Evaluate([]Readings{readings(300, nan, 96.5, nan, 95, nan), {Target: Target{Service: "web"}, Err: errEx}}, spec)
	tests := []struct {
		m    Measurement
		want string
	}{
		{Measurement{Weight: 10, Index: 2, Of: 3, Verdict: ok},
			"weight 10%, measurement 2/3: pass (api: requests 120, success-rate 99.90%, p99-latency 95 ms)"},
		{Measurement{Weight: 25, Index: 1, Of: 3, Verdict: bad, Decision: Decision{Failed: 1}},
			"weight 25%, measurement 1/3: fail (api: requests 300, success-rate 96.50%, p99-latency 95 ms; web: error): api success-rate: 96.50% < 99.00% [1 failed]"},
	}
	for _, tt := range tests {
		if got := tt.m.Line(); got != tt.want {
			t.Errorf("Line() = %q\nwant     %q", got, tt.want)
		}
	}
}

var errEx = errors.New("connection refused")
