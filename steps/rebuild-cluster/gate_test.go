package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

// TestClusterRebuildGated gates the switch of a blue-green-clusters
// rebuild (two real control planes, the step with only its Roles) on a
// real HTTP webhook and on the metric analysis, read from a real
// Prometheus scraping both clusters' synthetic Istio telemetry. The new
// release's version is reported in both clusters, healthy in one and
// failing in the other, so only a gate that selects the rebuilt cluster's
// series (destination_cluster) decides right. A refusing webhook, then a
// failing rebuilt cluster, each leave traffic on the release cluster with
// the rebuilt Deployments in place and exit 1; once both pass the step
// switches.
func TestClusterRebuildGated(t *testing.T) {
	layout := canarytest.BlueGreenClusters("shop")
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{}) // skips under -short
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	tels := map[string]*devenv.Telemetry{}
	var targets []string
	for _, c := range layout.Clusters {
		tels[c] = devenv.StartClusterTelemetry(t, f.Clusters[c].ClusterID)
		targets = append(targets, tels[c].Target)
	}
	prom := devenv.StartPrometheus(t, targets...)

	var (
		mu     sync.Mutex
		calls  []analysis.WebhookRequest
		answer atomic.Int32
	)
	answer.Store(http.StatusServiceUnavailable)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req analysis.WebhookRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		calls = append(calls, req)
		mu.Unlock()
		w.WriteHeader(int(answer.Load()))
	}))
	t.Cleanup(hook.Close)

	svcs := []canarytest.Service{{Name: "cart"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	kc := f.KubeconfigFor(t, "rebuild-cluster")
	rebuild := func(r canarytest.Release, side string, extra ...string) canarytest.Ran {
		t.Helper()
		return canarytest.RunStep(t, catalog.RebuildCluster, run, nil,
			append([]string{"--plan=" + r.Ref, "--kubeconfig=" + kc, "--side=" + side, "--holder=test"}, extra...)...)
	}
	deployments := func(cluster string) string {
		t.Helper()
		ds, err := f.In(cluster).Client().AppsV1().Deployments("shop").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range ds.Items {
			ready := "not ready"
			if d.Status.ReadyReplicas == *d.Spec.Replicas {
				ready = "ready"
			}
			names = append(names, d.Name+" "+ready)
		}
		return strings.Join(names, ",")
	}
	// The new version runs in both clusters' telemetry: failing where
	// failing names, healthy in the other.
	report := func(failing string) {
		t.Helper()
		for _, c := range layout.Clusters {
			s := devenv.Series{Service: "cart", Namespace: "shop", Version: "1.1.0", Workload: canary.DeploymentName("cart", "1.1.0"),
				SourceCluster: f.Clusters[rel].ClusterID, RPS: 40}
			if c == failing {
				s.ErrorRatio = 0.05
			}
			if err := tels[c].Set(s); err != nil {
				t.Fatal(err)
			}
		}
		waitForRate(t, prom, canary.DeploymentName("cart", "1.1.0"))
	}
	analyze := []string{"--analyze=true", "--prometheus-url=" + prom.URL, "--analysis-interval=2s", "--analysis-measurements=2", "--failure-limit=1"}

	// No gate configured: the first release goes in and serves.
	r := rebuild(v1, "active")
	if r.Code != 0 || r.Outputs["active"] != rel || r.Outputs["gate"] != "" {
		t.Fatalf("first release = exit %d, outputs %v; want 0, %s active, no gate\n%s", r.Code, r.Outputs, rel, r.Stderr)
	}

	// The webhook refuses: nothing switches, the rebuilt side stays.
	r = rebuild(v2, "passive", "--webhook="+hook.URL)
	if r.Code != step.ExitNegative || r.Outputs["gate"] != "fail" || !strings.Contains(r.Stderr, "failed its gate before the switch") {
		t.Errorf("rebuild with a refusing webhook = exit %d, outputs %v; want %d, gate fail\n%s", r.Code, r.Outputs, step.ExitNegative, r.Stderr)
	}
	f.Check(t, "a refused switch", canarytest.ServesIn("cart", rel, "shop", "1.0.0"))
	if got := deployments(can); got != "cart-v1-1-0 ready" {
		t.Errorf("canary cluster after a refused switch = %q, want cart-v1-1-0 ready and left in place", got)
	}
	mu.Lock()
	want := analysis.WebhookRequest{Name: "webhook", Phase: analysis.PhaseSwitch, Service: "cart", Namespace: "shop", Version: "1.1.0", Cluster: f.Clusters[can].ClusterID}
	if len(calls) != 1 || calls[0].Name != want.Name || calls[0].Phase != want.Phase || calls[0].Service != want.Service ||
		calls[0].Namespace != want.Namespace || calls[0].Version != want.Version || calls[0].Cluster != want.Cluster || calls[0].Weight != 0 {
		t.Errorf("webhook calls = %+v, want one %+v", calls, want)
	}
	calls = nil
	mu.Unlock()

	// The webhook passes, but the rebuilt cluster's own series fail while
	// the same version's in the release cluster are healthy.
	answer.Store(http.StatusOK)
	report(can)
	r = rebuild(v2, can, append([]string{"--webhook=" + hook.URL}, analyze...)...)
	if r.Code != step.ExitNegative || r.Outputs["gate"] != "fail" || !strings.Contains(r.Stderr, "success-rate") {
		t.Errorf("rebuild with the rebuilt cluster failing = exit %d, outputs %v; want %d naming the success rate\n%s", r.Code, r.Outputs, step.ExitNegative, r.Stderr)
	}
	f.Check(t, "a switch the analysis refused", canarytest.ServesIn("cart", rel, "shop", "1.0.0"))
	mu.Lock()
	if len(calls) != 0 {
		t.Errorf("webhook called %d times after the analysis failed, want none", len(calls))
	}
	mu.Unlock()

	// The rebuilt cluster is healthy, the release cluster's copy of the
	// version is not: the gate passes and traffic switches.
	report(rel)
	time.Sleep(2 * time.Second) // let the window forget the failing series
	r = rebuild(v2, can, append([]string{"--webhook=" + hook.URL}, analyze...)...)
	if r.Code != 0 || r.Outputs["gate"] != "pass" || r.Outputs["active"] != can || r.Outputs["passive"] != rel {
		t.Fatalf("rebuild with the rebuilt cluster healthy = exit %d, outputs %v; want 0, gate pass, %s active\n%s", r.Code, r.Outputs, can, r.Stderr)
	}
	f.Check(t, "a switch the gate let through", canarytest.ServesIn("cart", can, "shop", "1.1.0"))
	mu.Lock()
	if len(calls) != 1 || calls[0].Phase != analysis.PhaseSwitch {
		t.Errorf("webhook calls after the analysis passed = %+v, want one of phase switch", calls)
	}
	mu.Unlock()
}

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
