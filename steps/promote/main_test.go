package main

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

func TestBadInputs(t *testing.T) {
	r := canarytest.RunStep(t, catalog.Promote, run, nil, "--plan=127.0.0.1:1/p@sha256:2222222222222222222222222222222222222222222222222222222222222222", "--passive-replicas=-1")
	if r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, "passive-replicas") {
		t.Errorf("promote --passive-replicas=-1 = exit %d, want %d", r.Code, step.ExitInvalid)
	}
}

// TestPromoteWithItsRole promotes with only the promote Role; a plan
// without a canary is refused with exit 2.
func TestPromoteWithItsRole(t *testing.T) {
	f := canarytest.Start(t, "shop")
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}}, nil)
	v3 := f.Plan(t, "1.2.0", []canarytest.Service{{Name: "cart"}}, nil)
	setup(t, f, v1, func(ctx context.Context, o *canary.Opened) error {
		_, err := canary.Deploy(ctx, o.Env, o.Plan, canary.DeployOptions{})
		return err
	})
	setup(t, f, v2, func(ctx context.Context, o *canary.Opened) error {
		_, err := canary.Deploy(ctx, o.Env, o.Plan, canary.DeployOptions{InitialWeight: 50})
		return err
	})
	kc := f.KubeconfigFor(t, "promote")
	r := canarytest.RunStep(t, catalog.Promote, run, nil, "--plan="+v3.Ref, "--kubeconfig="+kc, "--holder=test")
	if r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, "run deploy-canary with this plan first") {
		t.Errorf("promote of a plan never deployed = exit %d, want %d\n%s", r.Code, step.ExitInvalid, r.Stderr)
	}
	r = canarytest.RunStep(t, catalog.Promote, run, nil, "--plan="+v2.Ref, "--kubeconfig="+kc, "--holder=test", "--passive-replicas=1")
	if r.Code != 0 || r.Outputs["promoted"] != "cart" {
		t.Fatalf("promote = exit %d, outputs %v; want 0 and cart\n%s", r.Code, r.Outputs, r.Stderr)
	}
	d, err := f.Cluster.Client().AppsV1().Deployments("shop").Get(context.Background(), "cart-v1-0-0", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 1 || d.Annotations[canary.AnnotationRole] != canary.RolePassive {
		t.Errorf("previous version after promote: %v, err %v; want passive with 1 replica", d.Spec.Replicas, err)
	}
}

func setup(t *testing.T, f *canarytest.Fixture, rel canarytest.Release, fn func(context.Context, *canary.Opened) error) {
	t.Helper()
	ctx, o, err := canary.Open(context.Background(), canary.Target{Step: "deploy-canary", Plan: rel.Ref, Kubeconfig: f.Cluster.Kubeconfig, Holder: "setup", LockTTL: time.Minute, Timeout: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close(ctx)
	if err := fn(ctx, o); err != nil {
		t.Fatal(err)
	}
}
