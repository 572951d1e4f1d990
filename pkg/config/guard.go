package config

import "time"

// Guard is the fast guard of the analysis: beside the measurements taken
// once per interval, a few queries read on every Prometheus scrape over the
// last scrapes only, which fail the canary at once on a hard failure — a
// success rate that collapses, a latency far beyond the threshold —
// whatever the interval and the pause between traffic steps. It is on
// whenever metrics are (a Prometheus URL is set); Disabled turns it off.
// Field tags as in Analysis.
type Guard struct {
	// Disabled turns the guard off.
	Disabled bool `json:"disabled,omitempty" yaml:"disabled,omitempty"`
	// ScrapeInterval is how often Prometheus scrapes the mesh: the guard
	// reads twice per scrape interval, so that it sees every scrape within
	// half an interval of it landing. Default 15s; at least 100ms.
	ScrapeInterval Duration `json:"scrapeInterval,omitzero" yaml:"scrapeInterval,omitempty"`
	// Scrapes is how many scrape intervals the guard's window spans
	// (rate(...[scrapes × scrapeInterval])). Default 2, the fewest rate()
	// can work with.
	Scrapes int `json:"scrapes,omitempty" yaml:"scrapes,omitempty" jsonschema:"minimum=0"`
	// MinRequests is how many canary requests the window must hold before
	// the guard judges it. Default 10; 0 judges any traffic.
	MinRequests *int `json:"minRequests,omitempty" yaml:"minRequests,omitempty" jsonschema:"minimum=0"`
	// SuccessRate is the success rate, in percent, below which the guard
	// fails the canary. Default 50; 0 turns this check off.
	SuccessRate *float64 `json:"successRate,omitempty" yaml:"successRate,omitempty" jsonschema:"minimum=0,maximum=100"`
	// P99Factor fails the canary when its p99 latency exceeds this many
	// times the analysis's maxP99Ms. Default 10; 0 turns this check off,
	// as does a maxP99Ms of 0.
	P99Factor *float64 `json:"p99Factor,omitempty" yaml:"p99Factor,omitempty" jsonschema:"minimum=0"`
}

// The guard's defaults.
const (
	DefaultGuardScrapeInterval = 15 * time.Second
	DefaultGuardScrapes        = 2
	DefaultGuardMinRequests    = 10
	DefaultGuardSuccessRate    = 50.0
	DefaultGuardP99Factor      = 10.0
)

// withDefaults returns a copy of g with every unset field filled in.
func (g Guard) withDefaults() Guard {
	if g.ScrapeInterval.Duration == 0 {
		g.ScrapeInterval.Duration = DefaultGuardScrapeInterval
	}
	if g.Scrapes == 0 {
		g.Scrapes = DefaultGuardScrapes
	}
	g.MinRequests = orDefault(g.MinRequests, DefaultGuardMinRequests)
	g.SuccessRate = orDefault(g.SuccessRate, DefaultGuardSuccessRate)
	g.P99Factor = orDefault(g.P99Factor, DefaultGuardP99Factor)
	return g
}

// Window is the span the guard looks back over: Scrapes scrape intervals.
// g must have its defaults filled in.
func (g Guard) Window() time.Duration {
	return time.Duration(g.Scrapes) * g.ScrapeInterval.Duration
}

// GuardEnabled reports whether the spec runs the guard: metrics are
// measured and the guard is not disabled.
func (s Analysis) GuardEnabled() bool {
	return s.MetricsEnabled() && (s.Guard == nil || !s.Guard.Disabled)
}

// guardProblems checks the guard's settings, defaults filled in.
func (s Analysis) guardProblems(l *analysisProblems) {
	g := s.Guard
	if g == nil {
		return
	}
	if g.ScrapeInterval.Duration < 100*time.Millisecond {
		l.add("guard.scrapeInterval", "", "%v is shorter than 100ms", g.ScrapeInterval.Duration)
	}
	if g.Scrapes < 2 {
		l.add("guard.scrapes", "", "%d: need at least 2, the fewest rate() can work with", g.Scrapes)
	}
	if v := g.MinRequests; v != nil && *v < 0 {
		l.add("guard.minRequests", "", "%d is negative", *v)
	}
	if v := g.SuccessRate; v != nil && (*v < 0 || *v > 100) {
		l.add("guard.successRate", "", "%g is not a percentage between 0 and 100", *v)
	}
	if v := g.P99Factor; v != nil && *v < 0 {
		l.add("guard.p99Factor", "", "%g is negative", *v)
	}
}
