package main

import (
	"context"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
)

// TestRollbackWithItsRole rolls a canary back before promotion with only
// the rollback Roles, in each namespace topology: traffic back on stable,
// the canary scaled to zero (beside stable) or removed (from the canary
// namespace); a second run changes nothing.
func TestRollbackWithItsRole(t *testing.T) {
	for _, layout := range []canarytest.Layout{
		canarytest.SingleCluster("shop"),
		canarytest.CanaryNamespace("shop", "shop-canary"),
	} {
		t.Run(layout.Name, func(t *testing.T) {
			f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
			rel, can := layout.Namespaces[0], layout.Namespaces[len(layout.Namespaces)-1]
			v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
			v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}}, nil)
			f.Deploy(t, v1, 40)
			f.Deploy(t, v2, 40)
			f.Check(t, "deploying 1.1.0 at 40%", canarytest.Splits("cart", 40, rel, "1.0.0", can, "1.1.0"))
			kc := f.KubeconfigFor(t, "rollback")
			for i, want := range []string{"cart", ""} {
				r := canarytest.RunStep(t, catalog.Rollback, run, nil, "--plan="+v2.Ref, "--kubeconfig="+kc, "--holder=test")
				if r.Code != 0 || r.Outputs["rolled-back"] != want {
					t.Fatalf("rollback run %d = exit %d, rolled-back %q; want 0 and %q\n%s", i+1, r.Code, r.Outputs["rolled-back"], want, r.Stderr)
				}
				f.Check(t, fmt.Sprintf("rollback run %d", i+1), canarytest.Serves("cart", rel, "1.0.0"))
			}
			d, err := f.Cluster.Client().AppsV1().Deployments(can).Get(context.Background(), "cart-v1-1-0", metav1.GetOptions{})
			switch {
			case rel == can && (err != nil || *d.Spec.Replicas != 0):
				t.Errorf("canary after rollback: %v, err %v; want 0 replicas", d, err)
			case rel != can && !apierrors.IsNotFound(err):
				t.Errorf("canary copy in %s after rollback: err %v, want it removed", can, err)
			}
		})
	}
}
