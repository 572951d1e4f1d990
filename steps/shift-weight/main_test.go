package main

import (
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

const somePlan = "127.0.0.1:1/shop/plans@sha256:2222222222222222222222222222222222222222222222222222222222222222"

// TestBadInputs: weights that are no percentage exit 2, naming the input,
// before anything is contacted (the plan's registry does not exist).
func TestBadInputs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--weight=150"}, "weight 150 is out of range"},
		{[]string{"--weight=-1"}, "weight -1 is out of range"},
		{[]string{"--weight=abc"}, "abc"},
		{[]string{"--steps=5,abc"}, `"abc" is not a whole percentage`},
		{[]string{"--steps=50,10"}, "steps must increase"},
		{[]string{"--weight=10", "--steps=5,10"}, "not both"},
		{[]string{"--weight=10", "--pause=-1s"}, "pause"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := canarytest.RunStep(t, catalog.ShiftWeight, run, nil, append([]string{"--plan=" + somePlan}, tt.args...)...)
			if r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("shift-weight %v = exit %d, want %d with %q in:\n%s", tt.args, r.Code, step.ExitInvalid, tt.want, r.Stderr)
			}
		})
	}
}

// TestShiftWithItsRole shifts a deployed canary along a schedule with only
// the shift-weight Roles, in each namespace topology, and checks the output
// and the route.
func TestShiftWithItsRole(t *testing.T) {
	for _, layout := range []canarytest.Layout{
		canarytest.SingleCluster("shop"),
		canarytest.CanaryNamespace("shop", "shop-canary"),
	} {
		t.Run(layout.Name, func(t *testing.T) {
			f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
			rel, can := layout.Namespaces[0], layout.Namespaces[len(layout.Namespaces)-1]
			v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}, {Name: "web"}}, nil)
			v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}, {Name: "web"}}, nil)
			f.Deploy(t, v1, 0)
			f.Deploy(t, v2, 0)
			kc := f.KubeconfigFor(t, "shift-weight")
			r := canarytest.RunStep(t, catalog.ShiftWeight, run, nil, "--plan="+v2.Ref, "--kubeconfig="+kc, "--steps=5,10,25", "--pause=10ms", "--holder=test")
			if r.Code != 0 || r.Outputs["weight"] != "25" {
				t.Fatalf("shift-weight = exit %d, weight %q; want 0 and 25\n%s", r.Code, r.Outputs["weight"], r.Stderr)
			}
			if !strings.Contains(r.Stderr, "canary weight 25% on 2 services") {
				t.Errorf("progress lacks the last step:\n%s", r.Stderr)
			}
			f.Check(t, "shifting to 25%", canarytest.Splits("cart", 25, rel, "1.0.0", can, "1.1.0"), canarytest.Splits("web", 25, rel, "1.0.0", can, "1.1.0"))
			// Again: the schedule resumes at 25 and stays there.
			r = canarytest.RunStep(t, catalog.ShiftWeight, run, nil, "--plan="+v2.Ref, "--kubeconfig="+kc, "--steps=5,10,25", "--pause=10ms", "--holder=test")
			if r.Code != 0 || r.Outputs["weight"] != "25" || !strings.Contains(r.Stderr, "resuming the schedule at 25%") {
				t.Fatalf("shift-weight again = exit %d, weight %q; want 0, 25, resumed\n%s", r.Code, r.Outputs["weight"], r.Stderr)
			}
			f.Check(t, "shifting to 25% again", canarytest.Splits("cart", 25, rel, "1.0.0", can, "1.1.0"), canarytest.Splits("web", 25, rel, "1.0.0", can, "1.1.0"))
		})
	}
}
