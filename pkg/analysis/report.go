package analysis

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Measurement is the record of one measurement: when, at which weight, every
// metric's value against its threshold, the verdict, and where the step
// stood after it.
type Measurement struct {
	Time time.Time `json:"time"`
	// Step numbers the analyzer's Check calls from 1.
	Step   int   `json:"step"`
	Phase  Phase `json:"phase"`
	Weight int   `json:"weight"`
	// Index counts the step's measurements from 1; Of is how many it takes
	// at most (a held or failing step may stop before).
	Index int `json:"index"`
	Of    int `json:"of"`
	Verdict
	Decision Decision `json:"decision"`
}

// StepReport is the record of one Check call.
type StepReport struct {
	Step     int       `json:"step"`
	Phase    Phase     `json:"phase"`
	Weight   int       `json:"weight"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Status is pass or fail, error when interrupted, empty while running.
	Status       Status          `json:"status,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Measurements []Measurement   `json:"measurements,omitempty"`
	Webhooks     []WebhookResult `json:"webhooks,omitempty"`
}

// Report is everything an analyzer did, ready for encoding/json.
type Report struct {
	// Enabled is false when neither metrics nor webhooks were configured.
	Enabled  bool         `json:"enabled"`
	Settings Settings     `json:"settings"`
	Targets  []Target     `json:"targets"`
	Steps    []StepReport `json:"steps"`
	// Guard is what made the fast guard fail the canary, when it did.
	Guard *GuardTrip `json:"guard,omitempty"`
	// Status is fail if any step failed or the guard tripped, pass if all
	// passed.
	Status Status `json:"status,omitempty"`
}

// Settings are the analysis settings in force, without webhook URLs (which
// may carry tokens) and without credentials in the Prometheus URL.
type Settings struct {
	PrometheusURL string   `json:"prometheusURL,omitempty"`
	Interval      Duration `json:"interval"`
	Measurements  int      `json:"measurements"`
	FailureLimit  int      `json:"failureLimit"`
	MinRequests   int      `json:"minRequests"`
	Inconclusive  Policy   `json:"inconclusive"`
	OnError       Policy   `json:"onError"`
	// Metrics are the metrics judged, each with its threshold in words.
	Metrics map[string]string `json:"metrics,omitempty"`
	// Guard is the fast guard's settings, when it runs.
	Guard    *GuardSettings `json:"guard,omitempty"`
	Webhooks []string       `json:"webhooks,omitempty"`
}

// GuardSettings are the fast guard's settings in force.
type GuardSettings struct {
	// Every is how often the guard reads; Window how far back.
	Every  Duration `json:"every"`
	Window Duration `json:"window"`
	// MinRequests is the canary requests the window must hold; SuccessRate
	// and MaxP99Ms the hard limits (0: that check is off).
	MinRequests int     `json:"minRequests"`
	SuccessRate float64 `json:"successRate,omitempty"`
	MaxP99Ms    float64 `json:"maxP99Ms,omitempty"`
}

// Report returns a copy of the record so far.
func (a *Analyzer) Report() Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := Report{
		Enabled:  a.Enabled(),
		Settings: a.settings(),
		Targets:  slices.Clone(a.targets),
		Steps:    make([]StepReport, len(a.steps)),
	}
	for i, s := range a.steps {
		s.Measurements = slices.Clone(s.Measurements)
		s.Webhooks = slices.Clone(s.Webhooks)
		r.Steps[i] = s
		switch {
		case s.Status == StatusFail || s.Status == StatusError:
			r.Status = StatusFail
		case s.Status == StatusPass && r.Status == "":
			r.Status = StatusPass
		}
	}
	if a.trip != nil {
		trip := *a.trip
		r.Guard, r.Status = &trip, StatusFail
	}
	return r
}

func (a *Analyzer) settings() Settings {
	s := Settings{
		PrometheusURL: RedactURL(a.spec.PrometheusURL),
		Interval:      a.spec.Interval,
		Measurements:  a.spec.Measurements,
		FailureLimit:  a.spec.FailureLimit,
		MinRequests:   *a.spec.MinRequests,
		Inconclusive:  a.spec.Inconclusive,
		OnError:       a.spec.OnError,
	}
	if a.spec.MetricsEnabled() {
		s.Metrics = map[string]string{}
		for _, c := range a.checks {
			s.Metrics[c.name] = c.threshold(0, false)
		}
	}
	if a.spec.GuardEnabled() {
		l := guardLimitsOf(a.spec)
		s.Guard = &GuardSettings{
			Every:       Duration{Duration: a.spec.Guard.ScrapeInterval.Duration / 2},
			Window:      Duration{Duration: a.spec.Guard.Window()},
			MinRequests: int(l.minRequests),
			SuccessRate: zeroIfNaN(l.minSuccess),
			MaxP99Ms:    zeroIfNaN(l.maxP99),
		}
	}
	for _, w := range a.webhooks() {
		s.Webhooks = append(s.Webhooks, w.Name)
	}
	return s
}

// RedactURL is raw without its credentials, query and fragment, as
// reports show a URL; "" when raw is not a URL.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

func (a *Analyzer) beginStep(weight int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.steps) + 1
	a.steps = append(a.steps, StepReport{Step: n, Phase: a.opts.Phase, Weight: weight, Started: a.opts.Now()})
	return n
}

func (a *Analyzer) endStep(n int, st Status, reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := &a.steps[n-1]
	s.Finished, s.Status, s.Reason = a.opts.Now(), st, reason
}

func (a *Analyzer) record(n int, m Measurement) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := &a.steps[n-1]
	s.Measurements = append(s.Measurements, m)
}

func (a *Analyzer) recordWebhook(n int, w WebhookResult) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := &a.steps[n-1]
	s.Webhooks = append(s.Webhooks, w)
}

// Line is a one-line summary of the measurement for a progress line:
//
//	weight 10%, measurement 2/3: pass (api: requests 120, success-rate 99.90%, p99-latency 95 ms)
func (m Measurement) Line() string {
	var vals []string
	svc := ""
	for _, r := range m.Results {
		if r.Service != svc {
			svc = r.Service
			vals = append(vals, svc+":")
		}
		if r.Metric == "" {
			vals[len(vals)-1] += " error"
			continue
		}
		v := value(r.Canary, r.Metric)
		sep := " "
		if !strings.HasSuffix(vals[len(vals)-1], ":") {
			sep = ", "
		}
		vals[len(vals)-1] += sep + r.Metric + " " + v
	}
	s := fmt.Sprintf("weight %d%%, measurement %d/%d: %s", m.Weight, m.Index, m.Of, m.Status)
	if len(vals) > 0 {
		s += " (" + strings.Join(vals, "; ") + ")"
	}
	if m.Status != StatusPass && m.Reason != "" {
		s += ": " + m.Reason
	}
	if m.Decision.Failed > 0 {
		s += fmt.Sprintf(" [%d failed]", m.Decision.Failed)
	}
	return s
}
