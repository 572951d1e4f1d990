package analysis

import (
	"fmt"
	"math"
	"strings"
)

// Status is the verdict on a metric, a measurement or a step.
type Status string

// The statuses.
const (
	StatusPass         Status = "pass"
	StatusFail         Status = "fail"
	StatusInconclusive Status = "inconclusive"
	// StatusError is a measurement that could not query Prometheus.
	StatusError Status = "error"
)

// rank orders statuses by how much they weigh when combined: one failed
// metric fails the measurement, an error outweighs a lack of data.
func (s Status) rank() int {
	switch s {
	case StatusFail:
		return 3
	case StatusError:
		return 2
	case StatusInconclusive:
		return 1
	default:
		return 0
	}
}

// Readings are the raw numbers one measurement read for one target, before
// any judgement. NaN stands for "no data".
type Readings struct {
	Target Target
	// Requests is how many requests the canary received within the window.
	Requests float64
	// StableRequests is the same for stable; read only when some metric is
	// compared with stable.
	StableRequests float64
	Metrics        []Reading
	// Err is set when a query failed; the other fields may then be partial.
	Err error
}

// Reading is one metric's value for the canary and, when compared, stable.
type Reading struct {
	Metric string
	Canary float64
	Stable float64
}

// Verdict is the judgement of one measurement: of every metric of every
// target, and overall.
type Verdict struct {
	Status  Status   `json:"status"`
	Reason  string   `json:"reason,omitempty"`
	Results []Result `json:"results"`
}

// Result is the judgement of one metric of one target.
type Result struct {
	Service string `json:"service"`
	Metric  string `json:"metric"`
	// Canary and Stable are the values read; absent when there was no data.
	Canary *float64 `json:"canary,omitempty"`
	Stable *float64 `json:"stable,omitempty"`
	// Threshold says in words what the value had to meet.
	Threshold string `json:"threshold,omitempty"`
	Status    Status `json:"status"`
	Reason    string `json:"reason,omitempty"`
}

// Evaluate judges one measurement, the readings of every target taken at
// the same moment over the same window. spec must have its defaults filled
// in. A metric with no data, or a target below the minimum request count,
// is inconclusive, never a pass.
func Evaluate(round []Readings, spec Spec) Verdict {
	checks := checksOf(spec)
	minReq := 0.0
	if spec.MinRequests != nil {
		minReq = float64(*spec.MinRequests)
	}
	var v Verdict
	for _, rd := range round {
		svc := rd.Target.Service
		if rd.Err != nil {
			v.Results = append(v.Results, Result{Service: svc, Status: StatusError, Reason: rd.Err.Error()})
			continue
		}
		enough := true
		if minReq > 0 {
			req := zeroIfNaN(rd.Requests)
			r := Result{Service: svc, Metric: MetricRequests, Canary: &req, Stable: num(rd.StableRequests), Threshold: "≥ " + formatValue(minReq, "req"), Status: StatusPass}
			if req < minReq {
				enough = false
				r.Status, r.Reason = StatusInconclusive, fmt.Sprintf("%s requests, fewer than %s", formatValue(req, "req"), formatValue(minReq, "req"))
			}
			v.Results = append(v.Results, r)
		}
		stableReq := zeroIfNaN(rd.StableRequests)
		stableNote := ""
		if minReq > 0 && stableReq < minReq {
			stableNote = fmt.Sprintf("stable has %s requests, fewer than %s", formatValue(stableReq, "req"), formatValue(minReq, "req"))
		}
		for _, c := range checks {
			rdg := Reading{Canary: math.NaN(), Stable: math.NaN()}
			for _, x := range rd.Metrics {
				if x.Metric == c.name {
					rdg = x
				}
			}
			r := judge(c, rdg.Canary, rdg.Stable, stableNote)
			if !enough {
				r.Status, r.Reason = StatusInconclusive, "too few requests"
			}
			r.Service = svc
			v.Results = append(v.Results, r)
		}
	}
	v.Status, v.Reason = combine(v.Results)
	return v
}

// combine gives the overall status of a set of results, and the reasons of
// the results that decided it.
func combine(rs []Result) (Status, string) {
	if len(rs) == 0 {
		return StatusInconclusive, "nothing was measured"
	}
	st := StatusPass
	for _, r := range rs {
		if r.Status.rank() > st.rank() {
			st = r.Status
		}
	}
	var why []string
	for _, r := range rs {
		if r.Status == st && r.Reason != "" {
			name := r.Service
			if r.Metric != "" {
				name += " " + r.Metric
			}
			why = append(why, name+": "+r.Reason)
		}
	}
	return st, strings.Join(why, "; ")
}

// judge compares one metric's canary value with its bounds and, when
// configured, with stable. stableNote says why stable cannot be compared
// with, if it cannot. Meeting the absolute threshold is enough; a canary
// that misses it still passes when it is within tolerance of stable, so that
// trouble shared with stable does not fail a good canary.
func judge(c check, canary, stable float64, stableNote string) Result {
	r := Result{Metric: c.name, Canary: num(canary)}
	if c.tol != nil {
		r.Stable = num(stable)
		if stableNote == "" && math.IsNaN(stable) {
			stableNote = "stable has no data"
		}
	}
	var limit float64
	if c.tol != nil && stableNote == "" {
		limit = c.stableLimit(stable)
	}
	r.Threshold = c.threshold(limit, c.tol != nil && stableNote == "")
	if math.IsNaN(canary) {
		r.Status, r.Reason = StatusInconclusive, "no data"
		return r
	}
	hasAbs := c.min != nil || c.max != nil
	if hasAbs && c.withinAbs(canary) {
		r.Status = StatusPass
		return r
	}
	missed := ""
	if hasAbs {
		missed = c.describeMiss(canary)
	}
	if c.tol == nil {
		r.Status, r.Reason = StatusFail, missed
		return r
	}
	if stableNote != "" {
		if hasAbs {
			r.Status, r.Reason = StatusFail, missed+"; "+stableNote+" to compare with"
		} else {
			r.Status, r.Reason = StatusInconclusive, stableNote
		}
		return r
	}
	ok := canary <= limit
	if c.higherBetter {
		ok = canary >= limit
	}
	rel := fmt.Sprintf("stable %s, limit %s", formatValue(stable, c.unit), formatValue(limit, c.unit))
	switch {
	case ok && hasAbs:
		r.Status, r.Reason = StatusPass, missed+" but within tolerance of "+rel
	case ok:
		r.Status = StatusPass
	case hasAbs:
		r.Status, r.Reason = StatusFail, missed+" and worse than "+rel
	default:
		r.Status, r.Reason = StatusFail, formatValue(canary, c.unit)+" is worse than "+rel
	}
	return r
}

func (c check) withinAbs(v float64) bool {
	return (c.min == nil || v >= *c.min) && (c.max == nil || v <= *c.max)
}

func (c check) describeMiss(v float64) string {
	if c.min != nil && v < *c.min {
		return fmt.Sprintf("%s < %s", formatValue(v, c.unit), formatValue(*c.min, c.unit))
	}
	return fmt.Sprintf("%s > %s", formatValue(v, c.unit), formatValue(*c.max, c.unit))
}

// stableLimit is the worst canary value the tolerance allows given stable's.
// Where both a delta and a ratio are set, the stricter one applies.
func (c check) stableLimit(stable float64) float64 {
	t := c.tol
	if c.higherBetter {
		limit := math.Inf(-1)
		if t.MaxDelta != nil {
			limit = math.Max(limit, stable-*t.MaxDelta)
		}
		if t.MaxRatio != nil {
			limit = math.Max(limit, stable / *t.MaxRatio)
		}
		return limit
	}
	limit := math.Inf(1)
	if t.MaxDelta != nil {
		limit = math.Min(limit, stable+*t.MaxDelta)
	}
	if t.MaxRatio != nil {
		limit = math.Min(limit, stable**t.MaxRatio)
	}
	return limit
}

// threshold says in words what the canary had to meet, with the limit
// derived from stable when there is one.
func (c check) threshold(limit float64, haveLimit bool) string {
	var parts []string
	switch {
	case c.min != nil && c.max != nil:
		parts = append(parts, fmt.Sprintf("%s – %s", formatValue(*c.min, c.unit), formatValue(*c.max, c.unit)))
	case c.min != nil:
		parts = append(parts, "≥ "+formatValue(*c.min, c.unit))
	case c.max != nil:
		parts = append(parts, "≤ "+formatValue(*c.max, c.unit))
	}
	if t := c.tol; t != nil {
		var rel []string
		sign, op := "+", "×"
		cmp := "≤"
		if c.higherBetter {
			sign, op, cmp = "−", "÷", "≥"
		}
		if t.MaxDelta != nil {
			rel = append(rel, fmt.Sprintf("stable %s %s", sign, formatValue(*t.MaxDelta, "")))
		}
		if t.MaxRatio != nil {
			rel = append(rel, fmt.Sprintf("stable %s %s", op, formatValue(*t.MaxRatio, "")))
		}
		s := cmp + " " + strings.Join(rel, " and ")
		if haveLimit {
			s += " (" + formatValue(limit, c.unit) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " or ")
}

// formatValue writes a value for people: request counts whole (rounded
// down, so a count just short of a minimum never reads as meeting it),
// percentages with two decimals, milliseconds whole, anything else with
// four significant digits.
func formatValue(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "no data"
	case unit == "req":
		return fmt.Sprintf("%.0f", math.Floor(v))
	case unit == "%":
		return fmt.Sprintf("%.2f%%", v)
	case unit == "ms" && math.Abs(v) >= 10:
		return fmt.Sprintf("%.0f ms", v)
	case unit == "ms":
		return fmt.Sprintf("%.3g ms", v)
	default:
		return fmt.Sprintf("%.4g", v)
	}
}

// num turns NaN and infinities (no data) into nil, so results marshal to JSON.
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func zeroIfNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}
