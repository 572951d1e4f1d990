package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/step"
)

const somePlan = "127.0.0.1:1/shop/plans@sha256:2222222222222222222222222222222222222222222222222222222222222222"

func TestBadInputs(t *testing.T) {
	for _, args := range [][]string{{"--initial-weight=150"}, {"--initial-weight=-1"}, {"--initial-weight=abc"}} {
		r := canarytest.RunStep(t, catalog.DeployCanary, run, nil, append([]string{"--plan=" + somePlan}, args...)...)
		if r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, "initial-weight") {
			t.Errorf("deploy-canary %v = exit %d, want %d naming initial-weight", args, r.Code, step.ExitInvalid)
		}
	}
}

// TestDeployWithItsRole runs a first release and a canary with only the
// deploy-canary Roles, in each namespace topology, then checks that an
// unreachable cluster exits 3 and an unknown context 2.
func TestDeployWithItsRole(t *testing.T) {
	for _, layout := range []canarytest.Layout{
		canarytest.SingleCluster("shop"),
		canarytest.CanaryNamespace("shop", "shop-canary"),
	} {
		t.Run(layout.Name, func(t *testing.T) { deployWithItsRole(t, layout) })
	}
}

func deployWithItsRole(t *testing.T, layout canarytest.Layout) {
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	rel, can := layout.Namespaces[0], layout.Namespaces[len(layout.Namespaces)-1]
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}, {Name: "web", Content: "same"}}, nil)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}, {Name: "web", Content: "same"}}, nil)
	kc := f.KubeconfigFor(t, "deploy-canary")
	summary := filepath.Join(t.TempDir(), "summary.md")
	r := canarytest.RunStep(t, catalog.DeployCanary, run, nil, "--plan="+v1.Ref, "--kubeconfig="+kc, "--holder=test", "--summary-file="+summary)
	if r.Code != 0 || r.Outputs["first-release"] != "cart,web" || r.Outputs["changed"] != "" {
		t.Fatalf("deploy-canary 1.0.0 = exit %d, outputs %v; want 0, first-release cart,web\n%s", r.Code, r.Outputs, r.Stderr)
	}
	f.Check(t, "the first release", canarytest.Serves("cart", rel, "1.0.0"), canarytest.Serves("web", rel, "1.0.0"))
	// The environment's KUBECONFIG is used when the input is empty.
	r = canarytest.RunStep(t, catalog.DeployCanary, run, []string{"KUBECONFIG=" + kc}, "--plan="+v2.Ref, "--initial-weight=10", "--holder=test", "--summary-file="+summary)
	if r.Code != 0 || r.Outputs["changed"] != "cart" || r.Outputs["weight"] != "10" {
		t.Fatalf("deploy-canary 1.1.0 = exit %d, outputs %v; want 0, changed cart at 10\n%s", r.Code, r.Outputs, r.Stderr)
	}
	f.Check(t, "deploying 1.1.0 at 10%", canarytest.Splits("cart", 10, rel, "1.0.0", can, "1.1.0"), canarytest.Serves("web", rel, "1.0.0"))
	if !strings.Contains(r.Stderr, "cart-v1-1-0 2/2 ready") {
		t.Errorf("no readiness progress in:\n%s", r.Stderr)
	}
	md, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| cart | changed | 1.0.0 | 1.1.0 | 10% |") || !strings.Contains(string(md), "| web | unchanged | 1.0.0 |") {
		t.Errorf("summary lacks the rows:\n%s", md)
	}
	if _, err := f.Cluster.Client().AppsV1().Deployments(can).Get(context.Background(), "cart-v1-1-0", metav1.GetOptions{}); err != nil {
		t.Errorf("the canary is not in %s: %v", can, err)
	}

	gone := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(gone, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: g, cluster: {server: \"https://127.0.0.1:1\"}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: g, context: {cluster: g, user: u}}]\ncurrent-context: g\n"), 0o600)
	r = canarytest.RunStep(t, catalog.DeployCanary, run, nil, "--plan="+v2.Ref, "--kubeconfig="+gone, "--holder=test")
	if r.Code != step.ExitExternal || !strings.Contains(r.Stderr, "cannot reach the Kubernetes API server at https://127.0.0.1:1") {
		t.Errorf("deploy-canary against an unreachable cluster = exit %d, want %d naming the server", r.Code, step.ExitExternal)
	}
	r = canarytest.RunStep(t, catalog.DeployCanary, run, nil, "--plan="+v2.Ref, "--kubeconfig="+kc, "--context=nope", "--holder=test")
	if r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, `context "nope"`) {
		t.Errorf("deploy-canary with an unknown context = exit %d, want %d naming it", r.Code, step.ExitInvalid)
	}
}

// TestDeploySeparateMeshes: deploy-canary drives a blue-green-clusters
// plan across separate meshes (topology.mesh: separate), which it once
// refused, on two real control planes: a first release is served at once
// from the side that does not serve, and the next plan rebuilds the other
// side and begins a stepped switch to it at the initial weight, the route
// in the release cluster splitting each service between its local pods
// and the passive cluster's ingress gateway. A re-run keeps the switch as
// it is.
func TestDeploySeparateMeshes(t *testing.T) {
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	const relIngress, canIngress = "192.0.2.11", "192.0.2.10"
	layout := canarytest.Separate(canarytest.BlueGreenClusters("shop"), map[string]string{rel: relIngress + ":8080", can: canIngress + ":8080"})
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	svcs := []canarytest.Service{{Name: "cart"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, func(c *config.Config) { c.Canary.InitialWeight = 20 })
	deploy := func(r canarytest.Release) canarytest.Ran {
		t.Helper()
		ran := canarytest.RunStep(t, catalog.DeployCanary, run, nil, "--plan="+r.Ref, "--kubeconfig="+f.AdminKubeconfig, "--holder=test")
		if ran.Code != 0 {
			t.Fatalf("deploy-canary %s = exit %d\n%s", r.Version, ran.Code, ran.Stderr)
		}
		return ran
	}
	deploy(v1)
	f.Check(t, "deploying a first release", canarytest.Expect{Service: "cart", Shares: []canarytest.Share{canarytest.Remote(100, can, "shop", "1.0.0", canIngress)}})
	for range 2 {
		ran := deploy(v2)
		if ran.Outputs["changed"] != "cart" || ran.Outputs["weight"] != "20" {
			t.Errorf("deploy-canary 1.1.0 outputs %v, want cart changed at weight 20", ran.Outputs)
		}
		f.Check(t, "deploying 1.1.0 beside 1.0.0", canarytest.Expect{Service: "cart", Shares: []canarytest.Share{
			canarytest.Remote(80, can, "shop", "1.0.0", canIngress), canarytest.Local(20, rel, "shop", "1.1.0"),
		}})
	}
}
