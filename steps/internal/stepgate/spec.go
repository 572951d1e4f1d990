package stepgate

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Spec overlays the analysis inputs (catalog.AnalysisInputs) on base, the
// release config's settings, fills in defaults and validates the result.
// get returns an input's text, empty when it was not given; with a
// step.Session that is s.String. Bad values are outcome.Invalid, naming the
// input.
func Spec(get func(name string) string, base analysis.Spec) (analysis.Spec, error) {
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
		s.Interval = analysis.Duration{Duration: d}
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
			s.CompareStable = &analysis.StableComparison{}
		}
	case "false":
		s.CompareStable = nil
	default:
		bad("compare-stable", v, "is not true or false")
	}
	if v := strings.TrimSpace(get("inconclusive")); v != "" {
		s.Inconclusive = analysis.Policy(v)
	}
	if v := strings.TrimSpace(get("analysis-on-error")); v != "" {
		s.OnError = analysis.Policy(v)
	}
	if v := strings.TrimSpace(get("webhook")); v != "" {
		// The input is the gate of the step it is given to, whichever
		// phase that step gates.
		all := []analysis.Phase{analysis.PhaseStep, analysis.PhasePromotion, analysis.PhaseSwitch}
		s.Webhooks = append(append([]analysis.Webhook(nil), s.Webhooks...), analysis.Webhook{Name: "webhook", URL: v, Phases: all})
	}
	if len(errs) > 0 {
		return analysis.Spec{}, outcome.Invalid(fmt.Errorf("analysis inputs: %w", errors.Join(errs...)))
	}
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return analysis.Spec{}, err
	}
	return s, nil
}
