package stepgate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/step"
)

// TestShiftGatedAcrossClusters releases cart as a delta-canary-cluster
// (stable in the release cluster, the canary in the canary cluster, two
// real control planes) with a real Prometheus per cluster, each scraping
// that cluster's synthetic Istio telemetry (destination_cluster and
// source_cluster set to the cluster's ID), named by each target's
// prometheusURL in the release config. The release cluster also reports
// the canary's version with the canary's labels, as if it ran there too.
// shift-weight, gated by the canary cluster's Prometheus, rolls back when
// only the canary cluster's series fail and walks on when only the release
// cluster's do, the comparison with stable reading the release cluster's
// Prometheus. With one Prometheus scraping both clusters (the
// prometheus-url input), the canary is still judged by its cluster's
// series alone.
func TestShiftGatedAcrossClusters(t *testing.T) {
	layout := canarytest.DeltaCanaryCluster("shop")
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{}) // skips under -short
	tels := map[string]*devenv.Telemetry{}
	proms := map[string]*devenv.Prometheus{}
	for _, c := range layout.Clusters {
		tels[c] = devenv.StartClusterTelemetry(t, f.Clusters[c].ClusterID)
		proms[c] = devenv.StartPrometheus(t, tels[c].Target)
	}
	shared := devenv.StartPrometheus(t, tels[canarytest.ReleaseCluster].Target, tels[canarytest.CanaryCluster].Target)
	perCluster := func(c *config.Config) {
		c.Topology.Targets = slices.Clone(c.Topology.Targets)
		for i, tg := range c.Topology.Targets {
			c.Topology.Targets[i].PrometheusURL = proms[tg.Cluster].URL
		}
	}

	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	f.Deploy(t, v1, 0)
	release := f.Clusters[canarytest.ReleaseCluster].ClusterID
	canaryID := f.Clusters[canarytest.CanaryCluster].ClusterID
	stable := devenv.Series{Service: "cart", Namespace: "shop", Version: "1.0.0", Workload: canary.DeploymentName("cart", "1.0.0"), RPS: 200}
	if err := tels[canarytest.ReleaseCluster].Set(stable); err != nil {
		t.Fatal(err)
	}
	kubeconfig := f.KubeconfigFor(t, "shift-weight")

	tests := []struct {
		version        string
		failing        string // the cluster whose series of the canary's version answer 5% errors
		configure      func(*config.Config)
		args           []string
		wantCode       int
		wantWeight     int
		wantStableFrom string // the Prometheus name the report gives stable's side
	}{
		{"1.1.0", canarytest.CanaryCluster, perCluster, nil, step.ExitNegative, 0, proms[canarytest.ReleaseCluster].URL},
		{"1.2.0", canarytest.ReleaseCluster, perCluster, nil, 0, 20, proms[canarytest.ReleaseCluster].URL},
		{"1.3.0", canarytest.ReleaseCluster, nil, []string{"--prometheus-url=" + shared.URL}, 0, 20, ""},
		{"1.4.0", canarytest.CanaryCluster, nil, []string{"--prometheus-url=" + shared.URL}, step.ExitNegative, 0, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s with the %s cluster failing", tt.version, tt.failing), func(t *testing.T) {
			rel := f.Plan(t, tt.version, []canarytest.Service{{Name: "cart"}}, func(c *config.Config) {
				c.Canary.Analysis.Guard = &config.Guard{ScrapeInterval: config.Duration{Duration: shared.ScrapeInterval}}
				if tt.configure != nil {
					tt.configure(c)
				}
			})
			f.Deploy(t, rel, 5)
			series := map[string]devenv.Series{}
			for _, c := range layout.Clusters {
				// The callers are in the release cluster, where the route is.
				s := devenv.Series{Service: "cart", Namespace: "shop", Version: tt.version, Workload: canary.DeploymentName("cart", tt.version),
					SourceCluster: release, RPS: 40}
				if c == tt.failing {
					s.ErrorRatio = 0.05
				}
				if err := tels[c].Set(s); err != nil {
					t.Fatal(err)
				}
				series[c] = s
			}
			// Start once each Prometheus has the canary's traffic.
			for _, c := range layout.Clusters {
				waitForRate(t, proms[c], series[c].Workload)
			}
			report := filepath.Join(t.TempDir(), "analysis.json")
			args := append([]string{
				"--plan=" + rel.Ref, "--kubeconfig=" + kubeconfig, "--holder=test", "--steps=10,20", "--compare-stable=true",
				"--analysis-interval=2s", "--analysis-measurements=2", "--failure-limit=2", "--analysis-report=" + report}, tt.args...)
			r := canarytest.RunStep(t, catalog.ShiftWeight, shiftWeight, nil, args...)
			if r.Code != tt.wantCode || r.Outputs["weight"] != fmt.Sprint(tt.wantWeight) {
				t.Fatalf("shift-weight = exit %d, weight %q; want exit %d, weight %d\n%s", r.Code, r.Outputs["weight"], tt.wantCode, tt.wantWeight, r.Stderr)
			}
			f.Check(t, "shift-weight", canarytest.SplitsAcross("cart", tt.wantWeight, "shop", canarytest.ReleaseCluster, "1.0.0", canarytest.CanaryCluster, tt.version))
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			var rep analysis.Report
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatalf("report %s: %v", data, err)
			}
			wantTarget := analysis.Target{Service: "cart",
				Canary: analysis.Side{Namespace: "shop", Version: tt.version, Cluster: canaryID},
				Stable: analysis.Side{Namespace: "shop", Version: "1.0.0", Cluster: release, Prometheus: tt.wantStableFrom}}
			if len(rep.Targets) != 1 || rep.Targets[0] != wantTarget {
				t.Errorf("report targets = %+v, want %+v", rep.Targets, wantTarget)
			}
			wantProm := shared.URL
			if tt.configure != nil {
				wantProm = proms[canarytest.CanaryCluster].URL
			}
			if rep.Settings.PrometheusURL != wantProm {
				t.Errorf("report's Prometheus = %s, want %s (the canary cluster's)", rep.Settings.PrometheusURL, wantProm)
			}
			// Every measurement read the canary in its cluster (95% or
			// 100%, never the mix of both clusters) and stable in the
			// release cluster.
			wantSuccess := 100.0
			if tt.failing == canarytest.CanaryCluster {
				wantSuccess = 95
			}
			n := 0
			for _, st := range rep.Steps {
				for _, m := range st.Measurements {
					for _, res := range m.Results {
						if res.Metric != analysis.MetricSuccessRate {
							continue
						}
						n++
						if res.Canary == nil || *res.Canary < wantSuccess-0.5 || *res.Canary > wantSuccess+0.5 {
							t.Errorf("step %d measurement %d: canary success rate %s, want %v%% ± 0.5", st.Step, m.Index, value(res.Canary), wantSuccess)
						}
						if res.Stable == nil || *res.Stable != 100 {
							t.Errorf("step %d measurement %d: stable success rate %s, want 100%% (read in the release cluster)", st.Step, m.Index, value(res.Stable))
						}
					}
				}
			}
			if n == 0 {
				t.Errorf("the report has no success-rate measurement:\n%s", data)
			}
			if tt.wantCode != 0 && !strings.Contains(r.Stderr, "success-rate") {
				t.Errorf("step output does not say the success rate failed:\n%s", r.Stderr)
			}
			// Leave the canary's version quiet so that the next release starts clean.
			for c, s := range series {
				s.RPS, s.ErrorRatio = 0, 0
				_ = tels[c].Set(s)
			}
		})
	}
}

func value(p *float64) string {
	if p == nil {
		return "no data"
	}
	return fmt.Sprintf("%g%%", *p)
}
