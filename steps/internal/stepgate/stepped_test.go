package stepgate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/step"
)

// TestSteppedSwitchGated gates a stepped blue/green switch between two
// real control planes (blue-green-clusters, one mesh) with a real
// Prometheus per cluster scraping that cluster's synthetic Istio
// telemetry: the analysis reads the rebuilt (passive) cluster's series of
// the new version, selected by destination_cluster, against the active
// cluster's of the version serving. When the passive cluster's series
// fail, shift-weight sends all traffic back to the active cluster and
// exits 1; when they are healthy it walks on.
func TestSteppedSwitchGated(t *testing.T) {
	layout := canarytest.BlueGreenClusters("shop")
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{}) // skips under -short
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	tels := map[string]*devenv.Telemetry{}
	proms := map[string]*devenv.Prometheus{}
	for _, c := range layout.Clusters {
		tels[c] = devenv.StartClusterTelemetry(t, f.Clusters[c].ClusterID)
		proms[c] = devenv.StartPrometheus(t, tels[c].Target)
	}
	perCluster := func(c *config.Config) {
		c.Topology.Targets = slices.Clone(c.Topology.Targets)
		for i, tg := range c.Topology.Targets {
			c.Topology.Targets[i].PrometheusURL = proms[tg.Cluster].URL
		}
		c.Canary.Analysis.Guard = &config.Guard{ScrapeInterval: config.Duration{Duration: proms[rel].ScrapeInterval}}
	}
	svcs := []canarytest.Service{{Name: "cart"}}
	rebuild := func(r canarytest.Release, side string, opts canary.RebuildOptions) {
		f.Setup(t, r, "rebuild-cluster", func(ctx context.Context, o *canary.Opened) error {
			opts.Passive = side
			_, err := canary.Rebuild(ctx, o.Env, o.Plan, opts)
			return err
		})
	}
	v1 := f.Plan(t, "1.0.0", svcs, perCluster)
	rebuild(v1, "active", canary.RebuildOptions{Switch: true})
	if err := tels[rel].Set(devenv.Series{Service: "cart", Namespace: "shop", Version: "1.0.0", Workload: canary.DeploymentName("cart", "1.0.0"), SourceCluster: f.Clusters[rel].ClusterID, RPS: 200}); err != nil {
		t.Fatal(err)
	}
	kubeconfig := f.KubeconfigFor(t, "rebuild-cluster")

	for _, tt := range []struct {
		version    string
		errors     float64
		wantCode   int
		wantWeight int
	}{
		{"1.1.0", 0.05, step.ExitNegative, 0},
		{"1.2.0", 0, 0, 20},
	} {
		t.Run(fmt.Sprintf("%s with %g errors in the passive cluster", tt.version, tt.errors), func(t *testing.T) {
			r := f.Plan(t, tt.version, svcs, perCluster)
			rebuild(r, "passive", canary.RebuildOptions{Stepped: true, InitialWeight: 5})
			s := devenv.Series{Service: "cart", Namespace: "shop", Version: tt.version, Workload: canary.DeploymentName("cart", tt.version),
				SourceCluster: f.Clusters[rel].ClusterID, RPS: 40, ErrorRatio: tt.errors}
			if err := tels[can].Set(s); err != nil {
				t.Fatal(err)
			}
			waitForRate(t, proms[can], s.Workload)
			report := filepath.Join(t.TempDir(), "analysis.json")
			ran := canarytest.RunStep(t, catalog.ShiftWeight, shiftWeight, nil,
				"--plan="+r.Ref, "--kubeconfig="+kubeconfig, "--holder=test", "--steps=10,20", "--compare-stable=true",
				"--analysis-interval=2s", "--analysis-measurements=2", "--failure-limit=2", "--analysis-report="+report)
			if ran.Code != tt.wantCode || ran.Outputs["weight"] != fmt.Sprint(tt.wantWeight) {
				t.Fatalf("shift-weight = exit %d, weight %q; want exit %d, weight %d\n%s", ran.Code, ran.Outputs["weight"], tt.wantCode, tt.wantWeight, ran.Stderr)
			}
			f.Check(t, "shift-weight", canarytest.SplitsAcross("cart", tt.wantWeight, "shop", rel, "1.0.0", can, tt.version))
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			var rep analysis.Report
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatalf("report %s: %v", data, err)
			}
			want := analysis.Target{Service: "cart",
				Canary: analysis.Side{Namespace: "shop", Version: tt.version, Cluster: f.Clusters[can].ClusterID},
				Stable: analysis.Side{Namespace: "shop", Version: "1.0.0", Cluster: f.Clusters[rel].ClusterID, Prometheus: analysis.RedactURL(proms[rel].URL)}}
			if len(rep.Targets) != 1 || rep.Targets[0] != want {
				t.Errorf("report targets = %+v, want %+v", rep.Targets, want)
			}
			if rep.Settings.PrometheusURL != proms[can].URL {
				t.Errorf("report's Prometheus = %s, want the passive cluster's %s", rep.Settings.PrometheusURL, proms[can].URL)
			}
			// The next release starts from a switch rolled back.
			f.Setup(t, r, "rollback", func(ctx context.Context, o *canary.Opened) error {
				_, err := canary.Rollback(ctx, o.Env, o.Plan)
				return err
			})
			s.RPS, s.ErrorRatio = 0, 0
			_ = tels[can].Set(s)
		})
	}
}
