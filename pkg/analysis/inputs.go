package analysis

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/step"
)

// Inputs are the step inputs that override the release config's
// canary.analysis settings, for the shift-weight and promote steps. None has
// a default of its own: an input left empty keeps the config's value, and
// the config's default (see WithDefaults) applies when neither sets it.
var Inputs = []step.Input{
	{Name: "prometheus-url", Description: "Prometheus base URL for metric analysis; empty takes canary.analysis.prometheusURL from the release config, and with neither only webhooks gate the traffic steps."},
	{Name: "analysis-interval", Description: "Time between measurements, and the window each looks back over (default 30s).", Type: step.Duration},
	{Name: "analysis-measurements", Description: "Measurements per traffic step, one per interval (default 3).", Type: step.Int},
	{Name: "failure-limit", Description: "Failed measurements, counted in total within a step, that fail the step and roll back (default 2).", Type: step.Int},
	{Name: "min-requests", Description: "Canary requests a measurement needs to be conclusive; fewer is inconclusive, never a pass (default 20; 0 turns it off).", Type: step.Int},
	{Name: "success-rate", Description: "Lowest acceptable share of non-5xx canary responses, in percent, e.g. 99.5 (default 99; 0 turns it off)."},
	{Name: "max-p99-ms", Description: "Highest acceptable 99th percentile canary latency, in milliseconds (default 500; 0 turns it off)."},
	{Name: "compare-stable", Description: "Compare with stable over the same window: a canary that misses a threshold passes if its success rate is at most 1 point below stable's and its p99 at most 1.2 times stable's.", Type: step.Bool},
	{Name: "inconclusive", Description: "What an inconclusive measurement does: hold (keep measuring; fail if the step ends held) or fail (count it as failed). Default hold."},
	{Name: "analysis-on-error", Description: "What a measurement that cannot query Prometheus does: fail (count it as failed), hold or ignore. Default fail."},
	{Name: "webhook", Description: "URL POSTed before each traffic increase and before promotion; anything but a 2xx answer within 10s fails the gate and rolls back.", Secret: true},
	{Name: "analysis-report", Description: "File to write the analysis report to, as JSON (every measurement, metric, threshold and verdict); empty writes none."},
}

// FromInputs overlays the step inputs on base, the release config's
// settings, fills in defaults and validates the result. get returns an
// input's text, empty when it was not given; with a step.Session that is
// s.String. Bad values are outcome.Invalid, naming the input.
func FromInputs(get func(name string) string, base Spec) (Spec, error) {
	s := base
	var errs []error
	bad := func(name, raw, why string) {
		errs = append(errs, fmt.Errorf("input %s: %q %s", name, raw, why))
	}
	text := func(name string, dst *string) {
		if v := strings.TrimSpace(get(name)); v != "" {
			*dst = v
		}
	}
	text("prometheus-url", &s.PrometheusURL)
	if v := strings.TrimSpace(get("analysis-interval")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			bad("analysis-interval", v, "is not a duration such as 30s")
		}
		s.Interval = Duration{Duration: d}
	}
	integer := func(name string, set func(int)) {
		if v := strings.TrimSpace(get(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad(name, v, "is not a whole number")
			}
			set(n)
		}
	}
	integer("analysis-measurements", func(n int) { s.Measurements = n })
	integer("failure-limit", func(n int) { s.FailureLimit = n })
	integer("min-requests", func(n int) { s.MinRequests = &n })
	number := func(name string, set func(float64)) {
		if v := strings.TrimSpace(get(name)); v != "" {
			f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				bad(name, v, "is not a number")
			}
			set(f)
		}
	}
	number("success-rate", func(f float64) { s.SuccessRate = &f })
	number("max-p99-ms", func(f float64) { s.MaxP99Ms = &f })
	switch v := strings.TrimSpace(get("compare-stable")); v {
	case "":
	case "true":
		if s.CompareStable == nil {
			s.CompareStable = &StableComparison{}
		}
	case "false":
		s.CompareStable = nil
	default:
		bad("compare-stable", v, "is not true or false")
	}
	if v := strings.TrimSpace(get("inconclusive")); v != "" {
		s.Inconclusive = Policy(v)
	}
	if v := strings.TrimSpace(get("analysis-on-error")); v != "" {
		s.OnError = Policy(v)
	}
	if v := strings.TrimSpace(get("webhook")); v != "" {
		s.Webhooks = append(append([]Webhook(nil), s.Webhooks...), Webhook{Name: "webhook", URL: v})
	}
	if len(errs) > 0 {
		return Spec{}, outcome.Invalid(fmt.Errorf("analysis inputs: %w", errors.Join(errs...)))
	}
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// FromSession builds an analyzer from step inputs over the release config's
// settings: FromInputs, then New.
func FromSession(get func(name string) string, base Spec, targets []Target, opts Options) (*Analyzer, error) {
	spec, err := FromInputs(get, base)
	if err != nil {
		return nil, err
	}
	return New(spec, targets, opts)
}
