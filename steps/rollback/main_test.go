package main

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// TestRollbackWithItsRole rolls a canary back before promotion with only
// the rollback Role: traffic back on stable, the canary scaled to zero.
func TestRollbackWithItsRole(t *testing.T) {
	f := canarytest.Start(t, "shop")
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}}, nil)
	for _, rel := range []canarytest.Release{v1, v2} {
		ctx, o, err := canary.Open(context.Background(), canary.Target{Step: "deploy-canary", Plan: rel.Ref, Kubeconfig: f.Cluster.Kubeconfig, Holder: "setup", LockTTL: time.Minute, Timeout: time.Minute}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = canary.Deploy(ctx, o.Env, o.Plan, canary.DeployOptions{InitialWeight: 40})
		o.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	kc := f.KubeconfigFor(t, "rollback")
	for i, want := range []string{"cart", ""} {
		r := canarytest.RunStep(t, catalog.Rollback, run, nil, "--plan="+v2.Ref, "--kubeconfig="+kc, "--holder=test")
		if r.Code != 0 || r.Outputs["rolled-back"] != want {
			t.Fatalf("rollback run %d = exit %d, rolled-back %q; want 0 and %q\n%s", i+1, r.Code, r.Outputs["rolled-back"], want, r.Stderr)
		}
	}
	ctx := context.Background()
	d, err := f.Cluster.Client().AppsV1().Deployments("shop").Get(ctx, "cart-v1-1-0", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 0 {
		t.Fatalf("canary after rollback: %v, err %v; want 0 replicas", d, err)
	}
	c, err := kube.Connect(ctx, kube.Options{Kubeconfig: f.Cluster.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	route, err := istio.New(c.Istio).Weights(ctx, traffic.Service{Namespace: "shop", Name: "cart"})
	if err != nil {
		t.Fatal(err)
	}
	if len(route.Weights) != 1 || route.Weights[0].Destination.Subset != "stable" || route.Weights[0].Weight != 100 {
		t.Errorf("route after rollback = %v, want all to stable", route.Weights)
	}
}
