// Package stepgate builds the metric analysis that gates the shift-weight
// and promote steps and rebuild-cluster's switch: settings from the plan's
// release config overridden by the step's inputs (Spec), the services in
// canary (or, for rebuild-cluster, the rebuilt side's) read from their
// records with the side each version runs on, progress lines while it
// measures, and its report in the step summary and, when asked, a JSON
// file. The steps call New (NewRebuild) before moving traffic and Report
// when done.
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
	"github.com/aviary-cd/aviary/pkg/outcome"
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
// is in canary. Each side is read from its target's Prometheus
// (topology.targets[].prometheusURL), else from the prometheus-url input or
// canary.analysis.prometheusURL; with neither, the canary target's is the
// default. Without any Prometheus URL or a webhook the gate lets every
// step through and the step is warned.
func New(ctx context.Context, s *step.Session, o *canary.Opened, phase analysis.Phase) (canary.Gate, error) {
	spec, err := Spec(s.String, fromConfig(o.Plan.Plan.Config.Canary.Analysis))
	if err != nil {
		return nil, err
	}
	tested, err := canary.Testing(ctx, o.Env, o.Plan)
	if err != nil {
		return nil, fmt.Errorf("reading the canaries for the analysis: %w", err)
	}
	if len(tested) == 0 {
		return nil, nil
	}
	a, err := build(ctx, s, spec, tested, MetricsOf(o.Plan.Plan.Config.Topology), phase)
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

// NewRebuild builds the gate rebuild-cluster consults before it switches
// to the side it rebuilds (side, as the step's side input names it): every
// service of o's plan, the rebuilt side's version as the canary and the
// serving one as stable (canary.RebuildTesting), with the webhooks of
// PhaseSwitch and, only when metrics is true (the analyze input), the
// metric analysis, read as New reads it. The rebuilt side takes no user
// traffic before the switch, so metrics are opt-in: the release config's
// Prometheus alone does not turn them on. It returns a nil gate, and no
// error, when neither webhooks nor metrics apply, or when a rebuild in
// place changes no version; metrics asked for with no Prometheus known is
// outcome.Invalid.
func NewRebuild(ctx context.Context, s *step.Session, o *canary.Opened, side string, metrics bool) (canary.Gate, error) {
	spec, err := Spec(s.String, fromConfig(o.Plan.Plan.Config.Canary.Analysis))
	if err != nil {
		return nil, err
	}
	where := MetricsOf(o.Plan.Plan.Config.Topology)
	if !metrics {
		spec.PrometheusURL = ""
		for role, m := range where {
			m.PrometheusURL = ""
			where[role] = m
		}
	}
	tested, err := canary.RebuildTesting(ctx, o.Env, o.Plan, side)
	if err != nil {
		return nil, err
	}
	if len(tested) == 0 {
		// Rebuilt in place with no version changed: nothing new to judge.
		return nil, nil
	}
	a, err := build(ctx, s, spec, tested, where, analysis.PhaseSwitch)
	if err != nil {
		return nil, err
	}
	if metrics && !a.Spec().MetricsEnabled() {
		return nil, outcome.Invalidf("analyze: no Prometheus to read the rebuilt side's metrics from: give prometheus-url, canary.analysis.prometheusURL or the targets' prometheusURL")
	}
	if !a.Enabled() {
		return nil, nil
	}
	if err := a.Preflight(ctx); err != nil {
		return nil, fmt.Errorf("checking the analysis queries before rebuilding: %w", err)
	}
	return &Gate{a}, nil
}

// build is the analyzer of tested at phase, each side read from its
// target's Prometheus (where) or spec's.
func build(ctx context.Context, s *step.Session, spec analysis.Spec, tested []canary.Tested, where map[config.Role]Metrics, phase analysis.Phase) (*analysis.Analyzer, error) {
	targets, sources, err := targetsOf(tested, where, spec.PrometheusURL)
	if err != nil {
		return nil, err
	}
	spec.PrometheusURL = sources.Default
	opts := analysis.Options{
		Phase:         phase,
		OnMeasurement: func(m analysis.Measurement) { s.Progress("analysis: " + m.Line()) },
		OnWebhook: func(w analysis.WebhookResult) {
			s.Progress(fmt.Sprintf("analysis: webhook %s for %s at %d%%: %s", w.Name, w.Service, w.Weight, w.Status))
		},
		OnGuard: func(g analysis.GuardTrip) { s.Progress("analysis: the guard fired: " + g.String()) },
	}
	// Every step that gates declares request-timeout; 0 takes the default.
	timeout := s.Duration(RequestTimeoutInput)
	opts.HTTPClient = &http.Client{Transport: stall.Transport(timeout)}
	if spec.MetricsEnabled() {
		rt := stall.Transport(queryTimeout(timeout, spec.Interval.Duration))
		var err error
		if opts.Querier, err = prom.New(spec.PrometheusURL, rt); err != nil {
			return nil, err
		}
		opts.Queriers = map[string]analysis.Querier{}
		for name, url := range sources.Others {
			if opts.Queriers[name], err = prom.New(url, rt); err != nil {
				return nil, err
			}
		}
	}
	return analysis.New(spec, targets, opts)
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

// Targets lists the services of o's plan that are in canary, with where
// each version runs, as Istio's telemetry tells them apart: by namespace
// (destination_workload_namespace) when the canary runs in a namespace of
// its own, else by version (destination_version, the pods' version label),
// and by cluster (destination_cluster) when the canary runs in another
// cluster than stable (see TargetOf). A side whose target has a Prometheus
// of its own other than the canary target's names it (Side.Prometheus).
func Targets(ctx context.Context, o *canary.Opened) ([]analysis.Target, error) {
	tested, err := canary.Testing(ctx, o.Env, o.Plan)
	if err != nil {
		return nil, fmt.Errorf("reading the canaries for the analysis: %w", err)
	}
	targets, _, err := targetsOf(tested, MetricsOf(o.Plan.Plan.Config.Topology), "")
	return targets, err
}

// TargetOf is the analysis target of a service in canary. where says, by
// target role, which Istio cluster ID each side's metrics carry; a side in
// another cluster than the other side is selected by it, so that the same
// namespace, service and version running in both clusters of one mesh is
// measured on the right side.
func TargetOf(t canary.Tested, where map[config.Role]Metrics) analysis.Target {
	stable := analysis.Side{Namespace: t.Stable.Side.Namespace}
	canarySide := analysis.Side{Namespace: t.Canary.Side.Namespace}
	if stable.Namespace == canarySide.Namespace {
		canarySide.Version = canary.VersionValue(t.Canary.Version)
		if t.Stable.Version != "" {
			stable.Version = canary.VersionValue(t.Stable.Version)
		}
	}
	if t.Stable.Side.Context != t.Canary.Side.Context {
		stable.Cluster = where[t.Stable.Side.Role].ClusterID
		canarySide.Cluster = where[t.Canary.Side.Role].ClusterID
	}
	return analysis.Target{Service: t.Service, Canary: canarySide, Stable: stable}
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
