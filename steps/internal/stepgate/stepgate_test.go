package stepgate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/steps/internal/canarystep"
	"github.com/aviary-cd/aviary/steps/internal/stepgate"
)

// shiftWeight is the shift-weight step's run, reduced to what the gate
// touches: open the plan, build the gate, walk the schedule, report.
func shiftWeight(ctx context.Context, s *step.Session) error {
	target, err := canarystep.Target(s)
	if err != nil {
		return err
	}
	ctx, o, err := canary.Open(ctx, target, nil)
	if err != nil {
		return err
	}
	defer o.Close(ctx)
	o.Env.Progress = s.Progress
	gate, err := stepgate.New(ctx, s, o, analysis.PhaseStep)
	if err != nil {
		return err
	}
	var steps []int
	for _, item := range s.List("steps") {
		var w int
		fmt.Sscan(item, &w)
		steps = append(steps, w)
	}
	opts := canary.ShiftOptions{Steps: steps, Gate: gate}
	if s.IsSet("pause") {
		opts.Pause = s.Duration("pause")
	}
	res, err := canary.Shift(ctx, o.Env, o.Plan, opts)
	if len(res.Rows) > 0 {
		s.SetOutput("weight", fmt.Sprint(res.Rows[0].Weight))
	}
	stepgate.Report(s, gate)
	return err
}

// TestShiftGatedByRealPrometheus deploys a canary to a real cluster, in
// each namespace topology, feeds a real Prometheus synthetic Istio
// telemetry for its Deployments as the sidecars of that layout would
// report it, and walks a schedule gated by the analysis: a healthy canary
// gets through, one answering 5% errors is sent back to 0% with exit 1 by
// the interval analysis, and one answering nothing but errors is sent back
// by the fast guard in the middle of a one-minute pause, long before the
// first measurement (interval 30s) is due.
func TestShiftGatedByRealPrometheus(t *testing.T) {
	for _, layout := range []canarytest.Layout{
		canarytest.SingleCluster("shop"),
		canarytest.CanaryNamespace("shop", "shop-canary"),
	} {
		t.Run(layout.Name, func(t *testing.T) { shiftGated(t, layout) })
	}
}

func shiftGated(t *testing.T, layout canarytest.Layout) {
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{}) // skips under -short
	relNS, canNS := layout.Namespaces[0], layout.Namespaces[len(layout.Namespaces)-1]
	tel := devenv.StartTelemetry(t)
	prom := devenv.StartPrometheus(t, tel.Target)

	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	f.Deploy(t, v1, 0)
	// Stable serves 200 requests a second; the telemetry labels each
	// version's requests as Istio's sidecars would, with the pods' version
	// label (destination_version) and their Deployment (destination_workload).
	stable := devenv.Series{Service: "cart", Namespace: relNS, Version: "1.0.0", Workload: canary.DeploymentName("cart", "1.0.0"), RPS: 200}
	if err := tel.Set(stable); err != nil {
		t.Fatal(err)
	}
	kubeconfig := f.KubeconfigFor(t, "shift-weight")

	tests := []struct {
		version    string
		errorRatio float64
		args       []string
		wantCode   int
		wantWeight string
		wantGuard  bool
	}{
		{"1.1.0", 0, nil, 0, "20", false},
		{"1.2.0", 0.05, nil, step.ExitNegative, "0", false},
		{"1.3.0", 1, []string{"--analysis-interval=30s", "--pause=1m"}, step.ExitNegative, "0", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s with %g%% errors", tt.version, tt.errorRatio*100), func(t *testing.T) {
			// The guard reads every scrape of the test's Prometheus (1s).
			rel := f.Plan(t, tt.version, []canarytest.Service{{Name: "cart"}}, func(c *config.Config) {
				c.Canary.Analysis.Guard = &config.Guard{ScrapeInterval: config.Duration{Duration: prom.ScrapeInterval}}
			})
			f.Deploy(t, rel, 5)
			// The canary's pods run in the canary side's namespace; the
			// clients called the release namespace's host.
			canarySeries := devenv.Series{Service: "cart", Namespace: canNS, ServiceNamespace: relNS, Version: tt.version, Workload: canary.DeploymentName("cart", tt.version), RPS: 40, ErrorRatio: tt.errorRatio}
			if err := tel.Set(canarySeries); err != nil {
				t.Fatal(err)
			}
			// Start once Prometheus has the canary's traffic, as it would in
			// a mesh already serving it; the analysis itself is what is tested.
			waitForRate(t, prom, canarySeries.Workload)
			report := filepath.Join(t.TempDir(), "analysis.json")
			args := append([]string{
				"--plan=" + rel.Ref, "--kubeconfig=" + kubeconfig, "--holder=test", "--steps=10,20",
				"--prometheus-url=" + prom.URL, "--analysis-interval=2s", "--analysis-measurements=2", "--failure-limit=2",
				"--analysis-report=" + report}, tt.args...)
			r := canarytest.RunStep(t, catalog.ShiftWeight, shiftWeight, nil, args...)
			if r.Code != tt.wantCode || r.Outputs["weight"] != tt.wantWeight {
				t.Fatalf("shift-weight = exit %d, weight %q; want exit %d, weight %s\n%s", r.Code, r.Outputs["weight"], tt.wantCode, tt.wantWeight, r.Stderr)
			}
			weight := 0
			fmt.Sscan(tt.wantWeight, &weight)
			f.Check(t, "shift-weight", canarytest.Splits("cart", weight, relNS, "1.0.0", canNS, tt.version))
			wants := []string{"### Canary analysis", "xychart-beta", "analysis: weight 10%, measurement 1/2"}
			if tt.wantGuard {
				// No measurement was due yet: the guard alone decided.
				wants = []string{"### Canary analysis", "**The guard fired** at ", "on cart: success-rate 0.00% (below 50%) over the last 2s",
					"analysis failed at 10%: canary analysis failed: analysis guard tripped: cart: success-rate 0.00%"}
			}
			for _, want := range wants {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("step output lacks %q\n%s", want, r.Stderr)
				}
			}
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			var rep analysis.Report
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatalf("report %s: %v", data, err)
			}
			want := analysis.Side{Namespace: canNS}
			if relNS == canNS {
				want.Version = tt.version
			}
			if len(rep.Targets) != 1 || rep.Targets[0].Canary != want {
				t.Errorf("report targets = %+v, want the canary of cart as %+v", rep.Targets, want)
			}
			if tt.wantCode != 0 && rep.Status != analysis.StatusFail {
				t.Errorf("report status = %s, want fail", rep.Status)
			}
			if tripped := rep.Guard != nil; tripped != tt.wantGuard {
				t.Errorf("report guard = %+v, want tripped %v", rep.Guard, tt.wantGuard)
			}
			if tt.wantGuard && (len(rep.Steps) != 0 || rep.Guard.Metric != analysis.MetricSuccessRate) {
				t.Errorf("report steps %+v, guard %+v: want no step analysed (the pause was cut short) and the trip on success-rate", rep.Steps, rep.Guard)
			}
			// Leave the canary at 0% so that the next release starts clean.
			canarySeries.RPS = 0
			_ = tel.Set(canarySeries)
		})
	}
}

// waitForRate waits until Prometheus reports requests to workload over a
// window as short as the analysis interval the test uses.
func waitForRate(t testing.TB, prom *devenv.Prometheus, workload string) {
	t.Helper()
	q := fmt.Sprintf(`sum(rate(istio_requests_total{destination_workload=%q}[2s]))`, workload)
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := prom.Query(context.Background(), q)
		if err == nil && v > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus reports no requests to %s after 30s (last: %v, %v)", workload, v, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestTargetOf: the canary side is told apart by namespace when it runs in
// a namespace of its own, by version when it runs beside stable, and by
// cluster too when it runs in another cluster, each side by its own.
func TestTargetOf(t *testing.T) {
	side := func(role config.Role, ns string) topology.Side {
		return topology.Side{Role: role, Location: topology.Location{Namespace: ns}}
	}
	in := func(role config.Role, cluster, ns string) topology.Side {
		return topology.Side{Role: role, Location: topology.Location{Context: cluster, ClusterID: cluster, Namespace: ns}}
	}
	one := map[config.Role]stepgate.Metrics{config.RoleStable: {ClusterID: "release-id"}, config.RoleCanary: {ClusterID: "canary-id"}, config.RoleActive: {ClusterID: "release-id"}}
	tests := []struct {
		name  string
		in    canary.Tested
		where map[config.Role]stepgate.Metrics
		want  analysis.Target
	}{
		{"single-cluster", canary.Tested{Service: "cart", Stable: canary.Version{Version: "1.0.0", Side: side(config.RoleRelease, "shop")}, Canary: canary.Version{Version: "1.1.0+b7", Side: side(config.RoleRelease, "shop")}}, nil,
			analysis.Target{Service: "cart", Stable: analysis.Side{Namespace: "shop", Version: "1.0.0"}, Canary: analysis.Side{Namespace: "shop", Version: "1.1.0_b7"}}},
		{"canary-namespace", canary.Tested{Service: "cart", Stable: canary.Version{Version: "1.0.0", Side: side(config.RoleStable, "shop")}, Canary: canary.Version{Version: "1.1.0", Side: side(config.RoleCanary, "shop-canary")}}, nil,
			analysis.Target{Service: "cart", Stable: analysis.Side{Namespace: "shop"}, Canary: analysis.Side{Namespace: "shop-canary"}}},
		{"delta-canary-cluster", canary.Tested{Service: "cart", Stable: canary.Version{Version: "1.0.0", Side: in(config.RoleStable, "release", "shop")}, Canary: canary.Version{Version: "1.1.0", Side: in(config.RoleCanary, "canary", "shop")}}, one,
			analysis.Target{Service: "cart", Stable: analysis.Side{Namespace: "shop", Version: "1.0.0", Cluster: "release-id"}, Canary: analysis.Side{Namespace: "shop", Version: "1.1.0", Cluster: "canary-id"}}},
		{"same version in both clusters", canary.Tested{Service: "cart", Stable: canary.Version{Version: "1.1.0", Side: in(config.RoleStable, "release", "shop")}, Canary: canary.Version{Version: "1.1.0", Side: in(config.RoleCanary, "canary", "shop")}}, one,
			analysis.Target{Service: "cart", Stable: analysis.Side{Namespace: "shop", Version: "1.1.0", Cluster: "release-id"}, Canary: analysis.Side{Namespace: "shop", Version: "1.1.0", Cluster: "canary-id"}}},
		{"separate meshes without cluster IDs", canary.Tested{Service: "cart", Stable: canary.Version{Version: "1.0.0", Side: in(config.RoleStable, "release", "shop")}, Canary: canary.Version{Version: "1.1.0", Side: in(config.RoleCanary, "canary", "shop")}}, map[config.Role]stepgate.Metrics{},
			analysis.Target{Service: "cart", Stable: analysis.Side{Namespace: "shop", Version: "1.0.0"}, Canary: analysis.Side{Namespace: "shop", Version: "1.1.0"}}},
		{"canary namespace of the active cluster", canary.Tested{Service: "cart", Stable: canary.Version{Version: "1.0.0", Side: in(config.RoleActive, "release", "shop")}, Canary: canary.Version{Version: "1.1.0", Side: in(config.RoleCanary, "release", "shop-canary")}}, one,
			analysis.Target{Service: "cart", Stable: analysis.Side{Namespace: "shop"}, Canary: analysis.Side{Namespace: "shop-canary"}}},
	}
	for _, tt := range tests {
		if got := stepgate.TargetOf(tt.in, tt.where); got != tt.want {
			t.Errorf("%s: TargetOf = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestMetricsOf: with one mesh every target's metrics carry its Istio
// cluster ID (clusterID, else the context's name); with separate meshes
// only a clusterID the config gives is trusted.
func TestMetricsOf(t *testing.T) {
	targets := []config.Target{
		{Role: config.RoleStable, Cluster: "release", Namespace: "shop"},
		{Role: config.RoleCanary, Cluster: "canary", ClusterID: "cluster-2", Namespace: "shop"},
	}
	tests := []struct {
		mesh config.MeshMode
		want map[config.Role]stepgate.Metrics
	}{
		{"", map[config.Role]stepgate.Metrics{config.RoleStable: {ClusterID: "release"}, config.RoleCanary: {ClusterID: "cluster-2"}}},
		{config.MeshSeparate, map[config.Role]stepgate.Metrics{config.RoleStable: {}, config.RoleCanary: {ClusterID: "cluster-2"}}},
	}
	for _, tt := range tests {
		got := stepgate.MetricsOf(config.Topology{Kind: config.DeltaCanaryCluster, Mesh: tt.mesh, Targets: targets})
		if !maps.Equal(got, tt.want) {
			t.Errorf("MetricsOf(mesh %q) = %v, want %v", tt.mesh, got, tt.want)
		}
	}
}
