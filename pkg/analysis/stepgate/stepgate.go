// Package stepgate builds the metric analysis that gates the shift-weight
// and promote steps: settings from the plan's release config overridden by
// the step's inputs, the services in canary read from their routes,
// progress lines while it measures, and its report in the step summary and,
// when asked, a JSON file. The steps call New before moving traffic and
// Report when done.
package stepgate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/analysis/prom"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/stall"
	"github.com/aviary-cd/aviary/pkg/step"
)

// ReportInput names the input holding the path of the JSON report.
const ReportInput = "analysis-report"

// RequestTimeoutInput names the input bounding each request to Prometheus
// and to webhooks while they are silent (see package stall).
const RequestTimeoutInput = "request-timeout"

// Gate is the analysis of one step run; it satisfies canary.Gate.
type Gate struct {
	*analysis.Analyzer
}

// New builds the gate for the services of o's plan that are in canary,
// checks its queries once against Prometheus (a malformed query is
// outcome.Invalid, an unreachable Prometheus outcome.External), and returns
// it as a canary.Gate. It returns a nil gate, and no error, when no service
// is in canary. Without a Prometheus URL or a webhook the gate lets every
// step through and the step is warned.
func New(ctx context.Context, s *step.Session, o *canary.Opened, phase analysis.Phase) (canary.Gate, error) {
	spec, err := analysis.FromInputs(s.String, fromConfig(o.Plan.Plan.Config.Canary.Analysis))
	if err != nil {
		return nil, err
	}
	targets, err := Targets(ctx, o)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, nil
	}
	opts := analysis.Options{
		Phase:         phase,
		OnMeasurement: func(m analysis.Measurement) { s.Progress("analysis: " + m.Line()) },
		OnWebhook: func(w analysis.WebhookResult) {
			s.Progress(fmt.Sprintf("analysis: webhook %s for %s at %d%%: %s", w.Name, w.Service, w.Weight, w.Status))
		},
	}
	// Every step that gates declares request-timeout; 0 takes the default.
	timeout := s.Duration(RequestTimeoutInput)
	opts.HTTPClient = &http.Client{Transport: stall.Transport(timeout)}
	if spec.MetricsEnabled() {
		if opts.Querier, err = prom.New(spec.PrometheusURL, stall.Transport(queryTimeout(timeout, spec.Interval.Duration))); err != nil {
			return nil, err
		}
	}
	a, err := analysis.New(spec, targets, opts)
	if err != nil {
		return nil, err
	}
	if !a.Enabled() {
		s.Warning("no metric analysis is configured (no prometheus-url, no webhook): traffic steps are not gated")
	}
	if err := a.Preflight(ctx); err != nil {
		return nil, fmt.Errorf("checking the analysis queries before moving traffic: %w", err)
	}
	return &Gate{a}, nil
}

// queryTimeout bounds one try of a Prometheus query: the request timeout,
// but at most a quarter of the analysis interval, which bounds a whole
// measurement, so that a stalled query leaves room for its retries and the
// measurement's other queries.
func queryTimeout(request, interval time.Duration) time.Duration {
	if request <= 0 {
		request = stall.DefaultTimeout
	}
	if q := interval / 4; q > 0 && q < request {
		return q
	}
	return request
}

// Targets lists the services of o's plan that are in canary, read from the
// records on their routes, with where each version runs. Versions are told
// apart by workload: Istio reports a Deployment's name as
// destination_workload, and aviary names each version's Deployment (see
// canary.DeploymentName).
func Targets(ctx context.Context, o *canary.Opened) ([]analysis.Target, error) {
	place := o.Env.Place
	routes, _, err := o.Env.Mesh.Snapshot(ctx, place.Route.Namespace)
	if err != nil {
		return nil, fmt.Errorf("reading routes for the analysis: %w", err)
	}
	version := o.Plan.Plan.Version
	var targets []analysis.Target
	for _, svc := range o.Plan.Plan.Services {
		rec := routes[svc.Name].Record
		stable := rec[canary.RecordStable]
		if rec[canary.RecordCanary] != version || stable == version {
			continue
		}
		t := analysis.Target{
			Service: svc.Name,
			Canary:  analysis.Side{Namespace: place.Canary.Namespace, Workload: canary.DeploymentName(svc.Name, version)},
			Stable:  analysis.Side{Namespace: place.Stable.Namespace},
		}
		if stable != "" {
			t.Stable.Workload = canary.DeploymentName(svc.Name, stable)
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// Report writes the gate's report, if gate is one of this package's: its
// Markdown to the step summary and, when the analysis-report input names a
// file, its JSON there. A file that cannot be written is a warning: the
// traffic decision is made by then.
func Report(s *step.Session, gate canary.Gate) {
	g, ok := gate.(*Gate)
	if !ok || g == nil {
		return
	}
	s.Summary(g.Markdown())
	path := s.String(ReportInput)
	if path == "" {
		return
	}
	data, err := json.MarshalIndent(g.Analyzer.Report(), "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(data, '\n'), 0o644)
	}
	if err != nil {
		s.Warning(fmt.Sprintf("writing the analysis report to %s: %v", path, err))
	}
}

// fromConfig turns the release config's canary.analysis section into
// analysis settings. Until pkg/config adopts analysis.Spec as its Analysis
// type, its placeholder has a few fields, with a success rate as a share
// (0.99) and a failure limit that counts tolerated failures; once it does,
// this becomes "return c".
func fromConfig(c config.Analysis) analysis.Spec {
	return c
}
