package analysis

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Problem is one invalid setting: its YAML path in aviary.yaml
// (canary.analysis.interval) and, where one exists, the step input that
// overrides it.
type Problem struct {
	Path    string
	Input   string
	Message string
}

func (p Problem) String() string {
	if p.Input == "" {
		return p.Path + ": " + p.Message
	}
	return fmt.Sprintf("%s (input %s): %s", p.Path, p.Input, p.Message)
}

// place is where a value comes from, for a Problem.
type place struct{ path, input string }

func field(path, input string) place { return place{"canary.analysis." + path, input} }

var metricName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Validate checks a spec with its defaults filled in (see WithDefaults). Every
// problem is reported, each naming the field; the error is outcome.Invalid.
func (s Spec) Validate() error {
	problems := s.Problems()
	if len(problems) == 0 {
		return nil
	}
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = errors.New(p.String())
	}
	return outcome.Invalid(fmt.Errorf("analysis settings: %w", errors.Join(errs...)))
}

// Problems lists every invalid setting of a spec with its defaults filled in,
// in the order Validate reports them.
func (s Spec) Problems() []Problem {
	var problems []Problem
	bad := func(where place, format string, args ...any) {
		problems = append(problems, Problem{Path: where.path, Input: where.input, Message: fmt.Sprintf(format, args...)})
	}
	if s.PrometheusURL != "" {
		if err := checkHTTPURL(s.PrometheusURL); err != nil {
			bad(field("prometheusURL", "prometheus-url"), "%v", err)
		}
	}
	if s.Interval.Duration < time.Second {
		bad(field("interval", "analysis-interval"), "%v is shorter than 1s", s.Interval.Duration)
	}
	if s.Measurements < 1 {
		bad(field("measurements", "analysis-measurements"), "%d: need at least 1", s.Measurements)
	}
	if s.FailureLimit < 1 {
		bad(field("failureLimit", "failure-limit"), "%d: need at least 1", s.FailureLimit)
	}
	if s.MinRequests != nil && *s.MinRequests < 0 {
		bad(field("minRequests", "min-requests"), "%d is negative", *s.MinRequests)
	}
	if s.Inconclusive != Hold && s.Inconclusive != Fail {
		bad(field("inconclusive", "inconclusive"), "%q is not one of hold, fail", s.Inconclusive)
	}
	if !slices.Contains([]Policy{Fail, Hold, Ignore}, s.OnError) {
		bad(field("onError", "analysis-on-error"), "%q is not one of fail, hold, ignore", s.OnError)
	}
	if v := s.SuccessRate; v != nil && (*v < 0 || *v > 100) {
		bad(field("successRate", "success-rate"), "%g is not a percentage between 0 and 100", *v)
	}
	if v := s.MaxP99Ms; v != nil && *v < 0 {
		bad(field("maxP99Ms", "max-p99-ms"), "%g is negative", *v)
	}
	if c := s.CompareStable; c != nil {
		if v := c.SuccessRateDrop; v != nil && *v < 0 {
			bad(field("compareStable.successRateDrop", ""), "%g is negative", *v)
		}
		if v := c.P99Ratio; v != nil && *v < 1 {
			bad(field("compareStable.p99Ratio", ""), "%g is below 1", *v)
		}
	}
	seen := map[string]bool{MetricRequests: true, MetricSuccessRate: true, MetricP99Latency: true}
	for i, m := range s.Metrics {
		where := func(f string) place { return field(fmt.Sprintf("metrics[%d].%s", i, f), "") }
		switch {
		case !metricName.MatchString(m.Name):
			bad(where("name"), "%q is not a kebab-case name", m.Name)
		case seen[m.Name]:
			bad(where("name"), "%q is used twice or is a built-in metric", m.Name)
		}
		seen[m.Name] = true
		if _, err := renderQuery(m.Query, sampleData()); err != nil {
			bad(where("query"), "%v", err)
		}
		if m.Min == nil && m.Max == nil && m.CompareStable == nil {
			bad(where("min"), "a metric needs min, max or compareStable")
		}
		if m.Min != nil && m.Max != nil && *m.Min > *m.Max {
			bad(where("min"), "%g is above max %g", *m.Min, *m.Max)
		}
		if t := m.CompareStable; t != nil {
			if (m.Min == nil) == (m.Max == nil) {
				bad(where("compareStable"), "needs exactly one of min and max, to say which way is worse")
			}
			if t.MaxDelta == nil && t.MaxRatio == nil {
				bad(where("compareStable"), "needs maxDelta or maxRatio")
			}
			if t.MaxDelta != nil && *t.MaxDelta < 0 {
				bad(where("compareStable.maxDelta"), "%g is negative", *t.MaxDelta)
			}
			if t.MaxRatio != nil && *t.MaxRatio < 1 {
				bad(where("compareStable.maxRatio"), "%g is below 1", *t.MaxRatio)
			}
		}
	}
	names := map[string]bool{}
	for i, w := range s.Webhooks {
		where := func(f string) place { return field(fmt.Sprintf("webhooks[%d].%s", i, f), "") }
		if names[w.Name] {
			bad(where("name"), "%q is used twice", w.Name)
		}
		names[w.Name] = true
		if err := checkHTTPURL(w.URL); err != nil {
			// The URL may hold a token: name the field, never the value.
			bad(where("url"), "%v", err)
		}
		if w.Timeout.Duration < 0 {
			bad(where("timeout"), "%v is negative", w.Timeout.Duration)
		}
		for _, p := range w.Phases {
			if p != PhaseStep && p != PhasePromotion {
				bad(where("phases"), "%q is not one of step, promotion", p)
			}
		}
	}
	return problems
}

// checkHTTPURL accepts an absolute http or https URL. Its message never
// quotes the URL, which may carry credentials.
func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("not an http or https URL")
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}
