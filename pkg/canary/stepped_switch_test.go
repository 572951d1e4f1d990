package canary_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/faultproxy"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestSteppedClusterSwitch runs a stepped blue/green switch between two
// real control planes joined in one mesh (blue-green-clusters, the route
// in both), with a real istiod of each cluster, holding a remote secret
// for the other, asked over xDS after every step which cluster's pod IPs
// stand behind each weight. It rolls the switch back at 0 %, mid-way and
// after the analysis said no, breaks the passive cluster's API server
// halfway through a shift and re-runs it, then completes the switch.
func TestSteppedClusterSwitch(t *testing.T) {
	layout := canarytest.BlueGreenClusters("shop")
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	f.WithMeshIstiods(t, canarytest.ReleaseCluster, canarytest.CanaryCluster)
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	proxy, kc := f.Proxied(t, can)
	s := &stepped{t: t, f: f, kubeconfigs: stepKubeconfigs(t, f),
		serves: func(svc, side, version string) canarytest.Expect {
			return canarytest.ServesIn(svc, map[string]string{"active": rel, "passive": can}[side], "shop", version)
		},
		splits: func(svc string, w int) canarytest.Expect {
			return canarytest.SplitsAcross(svc, w, "shop", rel, "1.0.0", can, "1.1.0")
		},
	}
	s.walk(shiftBrokenHalfway(s, proxy, kc, can))
	kept, err := f.In(rel).Client().AppsV1().Deployments("shop").Get(context.Background(), "cart-v1-0-0", metav1.GetOptions{})
	if err != nil || *kept.Spec.Replicas != 3 {
		t.Errorf("after the switch, the release cluster's cart-v1-0-0 = %v, want it kept with 3 replicas", err)
	}
}

// shiftBrokenHalfway is a fault for stepped.walk: the API server of
// cluster (behind proxy; kc goes through it) refuses route writes halfway
// through a shift: the step fails naming it, the other cluster's route
// may be ahead, and a re-run converges both.
func shiftBrokenHalfway(s *stepped, proxy *faultproxy.Proxy, kc, cluster string) func() {
	return func() {
		t := s.t
		proxy.SetPlan(func(_ int, r *http.Request) faultproxy.Fault {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/virtualservices") {
				return faultproxy.Status5xx
			}
			return faultproxy.None
		})
		ctx, o := open(t, s.f, s.v2, "shift-weight", kc)
		_, err := canary.Shift(ctx, o.Env, o.Plan, canary.ShiftOptions{Weight: 40})
		o.Close(ctx)
		if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), "in cluster "+cluster+": ") {
			t.Fatalf("shift-weight with cluster %s failing = %v, want an external error naming it", cluster, err)
		}
		proxy.SetPlan(func(int, *http.Request) faultproxy.Fault { return faultproxy.None })
		s.do("shift-weight", s.v2, shiftTo(40))
		s.check("re-running the shift after the fault", 40)
	}
}

// TestSteppedNamespaceSwitch is TestSteppedClusterSwitch's walk between the
// two namespaces of blue-green-namespaces on one real control plane, with
// a real istiod asked over xDS after every step.
func TestSteppedNamespaceSwitch(t *testing.T) {
	f := canarytest.StartLayout(t, canarytest.BlueGreenNamespaces("shop-blue", "shop-green"), devenv.ClusterOptions{})
	f.WithIstiod(t)
	ns := map[string]string{"active": "shop-blue", "passive": "shop-green"}
	s := &stepped{t: t, f: f, kubeconfigs: stepKubeconfigs(t, f),
		serves: func(svc, side, version string) canarytest.Expect { return canarytest.Serves(svc, ns[side], version) },
		splits: func(svc string, w int) canarytest.Expect {
			return canarytest.Splits(svc, w, "shop-blue", "1.0.0", "shop-green", "1.1.0")
		},
	}
	s.walk(nil)
}

// stepKubeconfigs are the kubeconfigs of the steps a stepped switch runs,
// each with only its Roles of examples/rbac.
func stepKubeconfigs(t *testing.T, f *canarytest.Fixture) map[string]string {
	out := map[string]string{}
	for _, step := range []string{"rebuild-cluster", "shift-weight", "promote", "rollback"} {
		out[step] = f.KubeconfigFor(t, step)
	}
	return out
}

// stepped walks a stepped switch of two services from the active side
// (1.0.0) to the passive one (1.1.0) in a blue/green fixture.
type stepped struct {
	t *testing.T
	f *canarytest.Fixture
	// kubeconfigs are each step's, with only its Roles of examples/rbac.
	kubeconfigs map[string]string
	v1, v2      canarytest.Release
	// serves expects all of a service on side (a role) at version; splits
	// w percent of it on the passive side's 1.1.0, the rest on the active
	// side's 1.0.0.
	serves func(svc, side, version string) canarytest.Expect
	splits func(svc string, w int) canarytest.Expect
}

var steppedServices = []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "web"}}

func (s *stepped) do(step string, r canarytest.Release, fn op) canary.Result {
	s.t.Helper()
	return do(s.t, s.f, r, step, s.kubeconfigs[step], fn)
}

// fails runs an operation that must fail with an error of kind saying want.
func (s *stepped) fails(step string, r canarytest.Release, fn op, kind outcome.Kind, want string) {
	s.t.Helper()
	ctx, o := open(s.t, s.f, r, step, s.kubeconfigs[step])
	defer o.Close(ctx)
	_, err := fn(ctx, o.Env, o)
	if outcome.KindOf(err) != kind || !strings.Contains(err.Error(), want) {
		s.t.Fatalf("%s %s = %v, want an error of kind %v saying %q", step, r.Version, err, kind, want)
	}
}

func (s *stepped) check(after string, w int) {
	s.t.Helper()
	s.f.Check(s.t, after, s.splits("cart", w), s.splits("web", w))
}

func (s *stepped) onActive(after string) {
	s.t.Helper()
	s.f.Check(s.t, after, s.serves("cart", "active", "1.0.0"), s.serves("web", "active", "1.0.0"))
}

// record is a service's record as stored.
func (s *stepped) record(service string) map[string]string {
	s.t.Helper()
	home := s.f.Layout.Namespaces[0]
	cm, err := s.f.Cluster.Client().CoreV1().ConfigMaps(home).Get(context.Background(), canary.RecordPrefix+service, metav1.GetOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	return cm.Data
}

func rebuildWith(side string, opts canary.RebuildOptions) op {
	return func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		opts.Passive = side
		r, err := canary.Rebuild(ctx, e, o.Plan, opts)
		return r.Result, err
	}
}

func shiftGated(steps []int, gate canary.Gate) op {
	return func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Shift(ctx, e, o.Plan, canary.ShiftOptions{Steps: steps, Gate: gate})
	}
}

// noAt is a gate that says no from weight failAt on, and remembers the
// weights it was asked about.
type noAt struct {
	failAt int
	mu     sync.Mutex
	asked  []int
}

func (g *noAt) Check(_ context.Context, weight int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, weight)
	if g.failAt > 0 && weight >= g.failAt {
		return errors.New("success rate 0.91 below 0.99")
	}
	return nil
}

// walk: the first release switched at once, then 1.1.0's stepped switch
// begun, rolled back at 0 %, begun again and shifted, rolled back
// mid-way, begun again and refused by the analysis (traffic back on the
// active side), shifted past it, fault (when given: a step broken halfway
// and re-run, leaving 40 %), promoted, rolled back (switched back), then
// switched at once and rolled back again.
func (s *stepped) walk(fault func()) {
	t, f := s.t, s.f
	s.v1 = f.Plan(t, "1.0.0", steppedServices, nil)
	s.v2 = f.Plan(t, "1.1.0", steppedServices, nil)
	twice := clusterTwiceAs(t, f, s.kubeconfigs)

	s.do("rebuild-cluster", s.v1, rebuildWith("active", canary.RebuildOptions{Switch: true}))
	s.onActive("the first release switched at once")
	for _, step := range []struct {
		name string
		fn   op
	}{{"shift-weight", shiftTo(10)}, {"promote", promoteKeeping(0)}, {"rollback", rollback}} {
		s.fails(step.name, s.v2, step.fn, outcome.KindInvalid, "no stepped switch of 1.1.0 is in progress")
	}

	twice("begin at 0", s.v2, "rebuild-cluster", rebuildWith("passive", canary.RebuildOptions{Stepped: true}))
	s.onActive("beginning the stepped switch at 0%")
	if rec := s.record("cart"); rec["switching"] != "passive" || rec["canary"] != "1.1.0" || rec["stable"] != "1.0.0" || rec["active"] != "active" {
		t.Errorf("cart's record while switching = %v, want switching to passive with 1.1.0, 1.0.0 stable on active", rec)
	}
	s.fails("rebuild-cluster", s.v1, rebuildWith("passive", canary.RebuildOptions{Switch: true}), outcome.KindInvalid, "a stepped switch to passive with 1.1.0 is in progress")
	twice("roll back at 0", s.v2, "rollback", rollback)
	s.onActive("rolling back at 0%")
	if rec := s.record("cart"); rec["switching"] != "" || rec["canary"] != "" || rec["stable"] != "1.0.0" {
		t.Errorf("cart's record after the rollback = %v, want 1.0.0 stable and no switch", rec)
	}

	twice("begin at 10", s.v2, "rebuild-cluster", rebuildWith("passive", canary.RebuildOptions{Stepped: true, InitialWeight: 10}))
	s.check("beginning again at 10%", 10)
	res := twice("shift 25,50", s.v2, "shift-weight", shiftGated([]int{25, 50}, nil))
	if res.Rows[0].Weight != 50 || res.Rows[0].Status != canary.InCanary {
		t.Errorf("shift-weight rows = %+v, want cart in canary at 50", res.Rows)
	}
	s.check("shifting to 50%", 50)
	twice("roll back at 50", s.v2, "rollback", rollback)
	s.onActive("rolling back at 50%")

	s.do("rebuild-cluster", s.v2, rebuildWith("passive", canary.RebuildOptions{Stepped: true, InitialWeight: 5}))
	s.check("beginning again at 5%", 5)
	tested := testedBy(t, f, s.v2, s.kubeconfigs["shift-weight"])
	if len(tested) != 2 || tested[0].Canary.Side.Role != "passive" || tested[0].Stable.Side.Role != "active" || tested[0].Canary.Version != "1.1.0" || tested[0].Stable.Version != "1.0.0" {
		t.Errorf("the analysis's services in canary = %+v, want 1.1.0 on the passive side against 1.0.0 on the active one", tested)
	}
	no := &noAt{failAt: 25}
	s.fails("shift-weight", s.v2, shiftGated([]int{10, 25, 50}, no), outcome.KindNegative, "analysis failed at 25%")
	s.onActive("the analysis saying no at 25%")
	if fmt.Sprint(no.asked) != "[10 25]" {
		t.Errorf("the gate was asked at %v, want [10 25]", no.asked)
	}
	s.do("shift-weight", s.v2, shiftGated([]int{10, 25}, &noAt{}))
	s.check("shifting again to 25%", 25)
	if fault != nil {
		fault()
	}
	w := map[bool]int{true: 40, false: 25}[fault != nil]
	s.check("before promoting", w)

	res = twice("promote", s.v2, "promote", promoteKeeping(0))
	for _, row := range res.Rows {
		if row.Status != canary.IsStable || row.Stable != "1.1.0" {
			t.Errorf("promote row %+v, want 1.1.0 stable", row)
		}
	}
	s.f.Check(t, "completing the switch", s.serves("cart", "passive", "1.1.0"), s.serves("web", "passive", "1.1.0"))
	if rec := s.record("web"); rec["switching"] != "" || rec["active"] != "passive" || rec["stable"] != "1.1.0" || rec["previous"] != "1.0.0" {
		t.Errorf("web's record after promote = %v, want 1.1.0 stable on passive, 1.0.0 previous, no switch", rec)
	}
	s.do("shift-weight", s.v2, shiftTo(50))
	s.f.Check(t, "shifting after the switch completed", s.serves("cart", "passive", "1.1.0"), s.serves("web", "passive", "1.1.0"))
	// The side switched from is kept whole: rollback switches back to it
	// at once, and a second run changes nothing.
	res = twice("switch back", s.v2, "rollback", rollback)
	for _, row := range res.Rows {
		if row.Status != canary.RolledBack || row.Stable != "1.0.0" {
			t.Errorf("rollback row after the switch %+v, want rolled back to 1.0.0", row)
		}
	}
	s.onActive("rolling back the completed switch")
	if rec := s.record("web"); rec["active"] != "active" || rec["stable"] != "1.0.0" || rec["phase"] != canary.PhaseRolledBack {
		t.Errorf("web's record after switching back = %v, want 1.0.0 rolled back on active", rec)
	}
	s.fails("promote", s.v2, promoteKeeping(0), outcome.KindInvalid, "no stepped switch of 1.1.0 is in progress")
	// Switched at once to the plan again, and back once more.
	s.do("rebuild-cluster", s.v2, rebuildWith("passive", canary.RebuildOptions{Switch: true}))
	s.f.Check(t, "switching at once to 1.1.0", s.serves("cart", "passive", "1.1.0"), s.serves("web", "passive", "1.1.0"))
	s.do("rollback", s.v2, rollback)
	s.onActive("rolling back the switch made at once")
}

// testedBy is canary.Testing, as the analysis reads it.
func testedBy(t *testing.T, f *canarytest.Fixture, r canarytest.Release, kubeconfig string) []canary.Tested {
	t.Helper()
	ctx, o := open(t, f, r, "shift-weight", kubeconfig)
	defer o.Close(ctx)
	out, err := canary.Testing(ctx, o.Env, o.Plan)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
