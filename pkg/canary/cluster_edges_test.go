package canary_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/durationpb"
	apiv1 "istio.io/api/networking/v1"
	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// TestUsersRoutesSurvive: a person's own route, and the retries and timeout
// they put on aviary's route, outlive a whole release.
func TestUsersRoutesSurvive(t *testing.T) {
	f := canarytest.Start(t, "shop")
	c := admin(t, f)
	ctx := context.Background()
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}}, nil)
	vs := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop", Annotations: map[string]string{"owner": "payments"}}}
	vs.Spec.Hosts = []string{"cart"}
	vs.Spec.Http = []*apiv1.HTTPRoute{
		{
			Name:  "debug",
			Match: []*apiv1.HTTPMatchRequest{{Headers: map[string]*apiv1.StringMatch{"x-debug": {MatchType: &apiv1.StringMatch_Exact{Exact: "1"}}}}},
			Route: []*apiv1.HTTPRouteDestination{{Destination: &apiv1.Destination{Host: "cart-debug"}}},
		},
		{Name: "aviary-cart", Timeout: durationpb.New(2 * time.Second), Retries: &apiv1.HTTPRetry{Attempts: 4, RetryOn: "5xx"},
			Route: []*apiv1.HTTPRouteDestination{{Destination: &apiv1.Destination{Host: "cart"}}}},
	}
	if _, err := c.Istio.NetworkingV1().VirtualServices("shop").Create(ctx, vs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	do(t, f, v1, "deploy-canary", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{})
	})
	do(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{InitialWeight: 20})
	})
	check := func(when string, canaryWeight int) {
		t.Helper()
		got, err := c.Istio.NetworkingV1().VirtualServices("shop").Get(ctx, "cart", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Spec.Http) != 2 || got.Spec.Http[0].Name != "debug" || len(got.Spec.Http[0].Match) != 1 || got.Spec.Http[0].Route[0].Destination.Host != "cart-debug" {
			t.Errorf("%s: the user's debug route changed: %v", when, got.Spec.Http)
		}
		r := got.Spec.Http[1]
		if r.Timeout.AsDuration() != 2*time.Second || r.Retries.GetAttempts() != 4 {
			t.Errorf("%s: retries/timeout on aviary's route = %v/%v, want the user's 4 attempts and 2s", when, r.Retries, r.Timeout)
		}
		if got.Annotations["owner"] != "payments" {
			t.Errorf("%s: the user's annotation is gone", when)
		}
		if w := traffic.WeightOf(istio.RouteOf(got, "cart").Weights, func(d traffic.Destination) bool { return d.Subset == "canary" }); w != canaryWeight {
			t.Errorf("%s: canary weight = %d, want %d", when, w, canaryWeight)
		}
	}
	check("after deploy", 20)
	do(t, f, v2, "shift-weight", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Shift(ctx, e, o.Plan, canary.ShiftOptions{Steps: []int{30, 60}})
	})
	check("after shifting", 60)
	do(t, f, v2, "promote", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Promote(ctx, e, o.Plan, canary.PromoteOptions{PassiveReplicas: 1})
	})
	check("after promote", 0)
}

// TestTwoPipelinesAtOnce: of two pipelines acting on one namespace at the
// same moment, one acts and the other fails naming the holder; never both.
func TestTwoPipelinesAtOnce(t *testing.T) {
	f := canarytest.Start(t, "shop")
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, holder := range []string{"pipeline-a", "pipeline-b"} {
		wg.Go(func() {
			ctx, o, err := canary.Open(context.Background(), canary.Target{Step: "deploy-canary", Plan: v1.Ref, Kubeconfig: f.Cluster.Kubeconfig, Holder: holder, LockTTL: time.Minute, Timeout: time.Minute}, nil)
			if err != nil {
				errs[i] = err
				return
			}
			defer o.Close(ctx)
			_, errs[i] = canary.Deploy(ctx, o.Env, o.Plan, canary.DeployOptions{})
		})
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), "is locked by \"pipeline-") {
				t.Errorf("the refused pipeline's error = %v, want an External error naming the holder", err)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d pipelines failed (%v), want exactly one refused", failed, errs)
	}
}

// TestMissingImage: a plan naming an image the registry lacks fails as
// Invalid before anything is applied.
func TestMissingImage(t *testing.T) {
	f := canarytest.Start(t, "shop")
	c := admin(t, f)
	rel := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}, {Name: "web", Unpushed: true}}, nil)
	ctx, o := open(t, f, rel, "deploy-canary", f.Cluster.Kubeconfig)
	defer o.Close(ctx)
	_, err := canary.Deploy(ctx, o.Env, o.Plan, canary.DeployOptions{})
	if outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), "shop/web@sha256:") {
		t.Fatalf("Deploy with a missing image = %v, want an Invalid error naming it", err)
	}
	if fp := fingerprint(t, c, "shop"); len(fp) != 0 {
		t.Errorf("objects applied despite the missing image: %v", canarytest.Sorted(fp))
	}
}

// TestCanaryNeverReady: a canary that does not become ready fails the
// deploy on its timeout with no traffic shifted, and shift-weight refuses
// to send it traffic.
func TestCanaryNeverReady(t *testing.T) {
	f := canarytest.Start(t, "shop")
	c := admin(t, f)
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart", Unschedulable: true}}, nil)
	do(t, f, v1, "deploy-canary", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{})
	})
	before := weights(t, c, "shop", "cart")
	ctx, o := open(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig)
	o.Env.Timeout = 3 * time.Second
	_, err := canary.Deploy(ctx, o.Env, o.Plan, canary.DeployOptions{InitialWeight: 10})
	o.Close(ctx)
	if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), "cart-v1-1-0 0/2 ready") || !strings.Contains(err.Error(), "no traffic was shifted") {
		t.Fatalf("Deploy of a canary that never becomes ready = %v, want an External timeout naming it", err)
	}
	if after := weights(t, c, "shop", "cart"); !equalWeights(before["cart"], after["cart"]) {
		t.Errorf("routes changed by a failed deploy: %v → %v", before, after)
	}
	// Pretend the deploy had routed it (a person or an older run did):
	// shift-weight must still refuse.
	rec := map[string]string{canary.RecordStable: "1.0.0", canary.RecordCanary: "1.1.0", canary.RecordWeight: "0", canary.RecordPhase: canary.PhaseCanary}
	if err := o.Env.Mesh.SetWeights(context.Background(), traffic.Service{Namespace: "shop", Name: "cart"}, split("shop", "cart", 100, 0), rec); err != nil {
		t.Fatal(err)
	}
	ctx, o = open(t, f, v2, "shift-weight", f.Cluster.Kubeconfig)
	defer o.Close(ctx)
	_, err = canary.Shift(ctx, o.Env, o.Plan, canary.ShiftOptions{Weight: 10})
	if outcome.KindOf(err) != outcome.KindNegative || !strings.Contains(err.Error(), "not ready") {
		t.Fatalf("Shift to a canary that is not ready = %v, want a Negative refusal", err)
	}
	if w := weights(t, c, "shop", "cart")["cart"]; w[1].Weight != 0 {
		t.Errorf("canary weight after the refusal = %d, want 0", w[1].Weight)
	}
}

// TestUnreachableCluster: a kubeconfig naming a server nobody answers on is
// an External error saying so.
func TestUnreachableCluster(t *testing.T) {
	f := canarytest.Start(t, "shop")
	rel := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: gone, context: {cluster: gone, user: u}}]
current-context: gone
`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := canary.Open(context.Background(), canary.Target{Step: "deploy-canary", Plan: rel.Ref, Kubeconfig: kc, Holder: "x"}, nil)
	if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), "cannot reach the Kubernetes API server at https://127.0.0.1:1") {
		t.Fatalf("Open with an unreachable cluster = %v, want an External error naming the server", err)
	}
}

// killingMesh cancels the operation after a number of mesh writes, the way
// a killed step stops anywhere.
type killingMesh struct {
	canary.Mesh
	mu     sync.Mutex
	left   int
	cancel context.CancelFunc
}

var errKilled = errors.New("killed")

func (m *killingMesh) tick() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.left == 0 {
		m.cancel()
		return errKilled
	}
	m.left--
	return nil
}

func (m *killingMesh) SetWeights(ctx context.Context, s traffic.Service, w []traffic.Weighted, r map[string]string) error {
	if err := m.tick(); err != nil {
		return err
	}
	return m.Mesh.SetWeights(ctx, s, w, r)
}

func (m *killingMesh) SetSubsets(ctx context.Context, s traffic.Service, host string, ss []traffic.Subset, remove []string) error {
	if err := m.tick(); err != nil {
		return err
	}
	return m.Mesh.SetSubsets(ctx, s, host, ss, remove)
}

// TestKilledStepsAreRepairedByRerunning kills promote and rollback after
// every possible number of mesh writes and checks that running the step
// again ends where an uninterrupted run ends.
func TestKilledStepsAreRepairedByRerunning(t *testing.T) {
	f := canarytest.Start(t, "shop")
	c := admin(t, f)
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}}, nil)
	promote := func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Promote(ctx, e, o.Plan, canary.PromoteOptions{PassiveReplicas: 1})
	}
	rollback := func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Rollback(ctx, e, o.Plan)
	}
	do(t, f, v1, "deploy-canary", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{})
	})
	do(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{InitialWeight: 30})
	})
	do(t, f, v2, "promote", f.Cluster.Kubeconfig, promote)
	promoted := fingerprint(t, c, "shop")
	do(t, f, v2, "rollback", f.Cluster.Kubeconfig, rollback)
	rolledBack := fingerprint(t, c, "shop")

	for _, tc := range []struct {
		step string
		op   func(context.Context, *canary.Env, *canary.Opened) (canary.Result, error)
		want map[string]string
		prep func()
	}{
		{"promote", promote, promoted, func() {
			// Back to a canary at 30%: roll back (a no-op the first time),
			// then deploy again.
			do(t, f, v2, "rollback", f.Cluster.Kubeconfig, rollback)
			do(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
				return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{InitialWeight: 30})
			})
		}},
		{"rollback", rollback, rolledBack, func() {
			do(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
				return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{InitialWeight: 30})
			})
			do(t, f, v2, "promote", f.Cluster.Kubeconfig, promote)
		}},
	} {
		for kill := 0; kill < 5; kill++ {
			tc.prep()
			ctx, o := open(t, f, v2, tc.step, f.Cluster.Kubeconfig)
			kctx, cancel := context.WithCancel(ctx)
			o.Env.Mesh = &killingMesh{Mesh: o.Env.Mesh, left: kill, cancel: cancel}
			_, err := tc.op(kctx, o.Env, o)
			o.Close(ctx)
			if err == nil {
				t.Errorf("%s finished with %d mesh writes allowed; want it killed", tc.step, kill)
			}
			do(t, f, v2, tc.step, f.Cluster.Kubeconfig, tc.op)
			if diff := cmp.Diff(tc.want, fingerprint(t, c, "shop")); diff != "" {
				t.Errorf("%s killed after %d mesh writes, then re-run: state differs from an uninterrupted run:\n%s", tc.step, kill, diff)
			}
		}
	}
}

func equalWeights(a, b []traffic.Weighted) bool { return traffic.Equal(a, b) }

type gateFunc func(ctx context.Context, weight int) error

func (g gateFunc) Check(ctx context.Context, weight int) error { return g(ctx, weight) }

// TestShiftGate walks a schedule with one write per VirtualService per
// step, consults the gate at every step, and on the gate's failure sends
// all traffic back to stable and fails as Negative.
func TestShiftGate(t *testing.T) {
	f := canarytest.Start(t, "shop")
	c := admin(t, f)
	svcs := []canarytest.Service{{Name: "cart"}, {Name: "web"}, {Name: "api"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	for _, rel := range []canarytest.Release{v1, v2} {
		do(t, f, rel, "deploy-canary", f.Cluster.Kubeconfig, func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
			return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{})
		})
	}
	var writes atomic.Int64
	counted := countingClients(t, f, &writes)
	ctx, o := open(t, f, v2, "shift-weight", f.Cluster.Kubeconfig)
	defer o.Close(ctx)
	o.Env.Kube, o.Env.Mesh = counted, istio.New(counted.Istio)
	var asked []int
	gate := gateFunc(func(ctx context.Context, w int) error {
		asked = append(asked, w)
		return nil
	})
	if _, err := canary.Shift(ctx, o.Env, o.Plan, canary.ShiftOptions{Steps: []int{5, 10, 25}, Gate: gate}); err != nil {
		t.Fatal(err)
	}
	if got, want := writes.Load(), int64(9); got != want {
		t.Errorf("VirtualService writes for 3 steps over 3 services = %d, want %d (one per service per step)", got, want)
	}
	if !cmp.Equal(asked, []int{5, 10, 25}) {
		t.Errorf("gate asked at %v, want [5 10 25]", asked)
	}
	failing := gateFunc(func(ctx context.Context, w int) error {
		if w >= 50 {
			return errors.New("error rate 7% over 1%")
		}
		return nil
	})
	_, err := canary.Shift(ctx, o.Env, o.Plan, canary.ShiftOptions{Steps: []int{5, 10, 25, 50, 75}, Gate: failing})
	if outcome.KindOf(err) != outcome.KindNegative || !strings.Contains(err.Error(), "analysis failed at 50%: error rate 7% over 1%; all traffic is back on stable") {
		t.Fatalf("Shift with a failing gate = %v, want a Negative error saying traffic is back on stable", err)
	}
	for s, ws := range weights(t, c, "shop", "cart", "web", "api") {
		if len(ws) != 2 || ws[0].Weight != 100 || ws[1].Weight != 0 {
			t.Errorf("%s after the gate failed = %v, want 100/0", s, ws)
		}
	}
}
