package config

import "time"

// Analysis is the metric analysis that gates every canary step. It is an open
// struct: the analysis package extends it with fields of its own. Every field
// is optional; zero takes the default (see the Default constants), applied
// when the config is closed into a plan (Config.Close).
type Analysis struct {
	// Interval is how often a measurement is taken.
	Interval Duration `json:"interval,omitzero"`
	// Measurements is how many measurements one step takes.
	Measurements int `json:"measurements,omitempty" jsonschema:"minimum=0"`
	// FailureLimit is how many failed measurements a step tolerates; 0 (the
	// default) tolerates none.
	FailureLimit int `json:"failureLimit,omitempty" jsonschema:"minimum=0"`
	// MinRequests is how many requests a measurement needs to count.
	MinRequests int `json:"minRequests,omitempty" jsonschema:"minimum=0"`
	// SuccessRate is the lowest acceptable share of non-5xx responses, 0..1
	// (0.99 = 99%).
	SuccessRate float64 `json:"successRate,omitempty" jsonschema:"minimum=0,maximum=1"`
	// P99LatencyMs is the highest acceptable 99th percentile latency in milliseconds.
	P99LatencyMs int `json:"p99LatencyMs,omitempty" jsonschema:"minimum=0"`
}

func (a *Analysis) validate(l *problemList, p string) {
	if a.Interval.Duration < 0 {
		l.add(p+".interval", "%s is negative", a.Interval.Duration)
	}
	if a.Measurements < 0 {
		l.add(p+".measurements", "%d is negative", a.Measurements)
	}
	if a.FailureLimit < 0 {
		l.add(p+".failureLimit", "%d is negative", a.FailureLimit)
	} else if a.Measurements > 0 && a.FailureLimit >= a.Measurements {
		l.add(p+".failureLimit", "%d is not below measurements (%d): no step could ever fail", a.FailureLimit, a.Measurements)
	}
	if a.MinRequests < 0 {
		l.add(p+".minRequests", "%d is negative", a.MinRequests)
	}
	if a.SuccessRate < 0 || a.SuccessRate > 1 {
		l.add(p+".successRate", "%v is not a share between 0 and 1 (0.99 is 99%%)", a.SuccessRate)
	}
	if a.P99LatencyMs < 0 {
		l.add(p+".p99LatencyMs", "%d is negative", a.P99LatencyMs)
	}
}

// Analysis defaults, applied by Config.Close.
const (
	DefaultInterval     = 30 * time.Second
	DefaultMeasurements = 3
	DefaultMinRequests  = 20
	DefaultSuccessRate  = 0.99
	DefaultP99LatencyMs = 500
)

// withDefaults fills unset fields with the defaults.
func (a Analysis) withDefaults() Analysis {
	if a.Interval.Duration == 0 {
		a.Interval.Duration = DefaultInterval
	}
	if a.Measurements == 0 {
		a.Measurements = max(DefaultMeasurements, a.FailureLimit+1)
	}
	if a.MinRequests == 0 {
		a.MinRequests = DefaultMinRequests
	}
	if a.SuccessRate == 0 {
		a.SuccessRate = DefaultSuccessRate
	}
	if a.P99LatencyMs == 0 {
		a.P99LatencyMs = DefaultP99LatencyMs
	}
	return a
}
