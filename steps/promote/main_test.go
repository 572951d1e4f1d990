package main

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
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

// TestPromoteWithItsRole promotes with only the promote Roles, in each
// namespace topology; a plan without a canary is refused with exit 2.
func TestPromoteWithItsRole(t *testing.T) {
	for _, layout := range []canarytest.Layout{
		canarytest.SingleCluster("shop"),
		canarytest.CanaryNamespace("shop", "shop-canary"),
	} {
		t.Run(layout.Name, func(t *testing.T) {
			f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
			rel, can := layout.Namespaces[0], layout.Namespaces[len(layout.Namespaces)-1]
			v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
			v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}}, nil)
			v3 := f.Plan(t, "1.2.0", []canarytest.Service{{Name: "cart"}}, nil)
			f.Deploy(t, v1, 0)
			f.Deploy(t, v2, 50)
			kc := f.KubeconfigFor(t, "promote")
			r := canarytest.RunStep(t, catalog.Promote, run, nil, "--plan="+v3.Ref, "--kubeconfig="+kc, "--holder=test")
			if r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, "run deploy-canary with this plan first") {
				t.Errorf("promote of a plan never deployed = exit %d, want %d\n%s", r.Code, step.ExitInvalid, r.Stderr)
			}
			r = canarytest.RunStep(t, catalog.Promote, run, nil, "--plan="+v2.Ref, "--kubeconfig="+kc, "--holder=test", "--passive-replicas=1")
			if r.Code != 0 || r.Outputs["promoted"] != "cart" {
				t.Fatalf("promote = exit %d, outputs %v; want 0 and cart\n%s", r.Code, r.Outputs, r.Stderr)
			}
			f.Check(t, "promote", canarytest.Serves("cart", rel, "1.1.0"))
			ctx := context.Background()
			d, err := f.Cluster.Client().AppsV1().Deployments(rel).Get(ctx, "cart-v1-0-0", metav1.GetOptions{})
			if err != nil || *d.Spec.Replicas != 1 || d.Annotations[canary.AnnotationRole] != canary.DeploymentPassive {
				t.Errorf("previous version after promote: %v, err %v; want passive with 1 replica", d.Spec.Replicas, err)
			}
			if rel != can {
				if _, err := f.Cluster.Client().AppsV1().Deployments(can).Get(ctx, "cart-v1-1-0", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					t.Errorf("the canary copy in %s after promote: err %v, want it removed", can, err)
				}
			}
		})
	}
}
