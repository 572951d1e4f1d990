package canary_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
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

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/kube"
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
	if _, err := canarytest.IstioClient(t, c).NetworkingV1().VirtualServices("shop").Create(ctx, vs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	do(t, f, v1, "deploy-canary", f.Cluster.Kubeconfig, deployAt(0))
	do(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig, deployAt(20))
	check := func(when string, canaryWeight int) {
		t.Helper()
		got, err := canarytest.IstioClient(t, c).NetworkingV1().VirtualServices("shop").Get(ctx, "cart", metav1.GetOptions{})
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
	do(t, f, v2, "promote", f.Cluster.Kubeconfig, promoteKeeping(1))
	check("after promote", 0)
}

// TestTwoPipelinesAtOnce: of two pipelines acting on one release at the
// same moment, in each namespace topology, one acts and the other fails
// naming the holder; never both.
func TestTwoPipelinesAtOnce(t *testing.T) {
	for _, layout := range []canarytest.Layout{
		canarytest.SingleCluster("shop"),
		canarytest.CanaryNamespace("shop", "shop-canary"),
	} {
		t.Run(layout.Name, func(t *testing.T) {
			f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
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
		})
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
	if fp := fingerprint(t, c, f); len(fp) != 0 {
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
	do(t, f, v1, "deploy-canary", f.Cluster.Kubeconfig, deployAt(0))
	before := weights(t, c, "shop", "cart")
	ctx, o := open(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig)
	o.Env.Timeout = 3 * time.Second
	_, err := canary.Deploy(ctx, o.Env, o.Plan, canary.DeployOptions{InitialWeight: 10})
	o.Close(ctx)
	if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), "cart-v1-1-0 0/2 ready") || !strings.Contains(err.Error(), "no traffic was shifted") {
		t.Fatalf("Deploy of a canary that never becomes ready = %v, want an External timeout naming it", err)
	}
	if after := weights(t, c, "shop", "cart"); !slices.Equal(before["cart"], after["cart"]) {
		t.Errorf("routes changed by a failed deploy: %v → %v", before, after)
	}
	// Pretend the deploy had recorded it (a person or an older run did):
	// shift-weight must still refuse.
	store := &canary.ConfigMapRecords{Client: c.Kube, Namespace: "shop"}
	if err := store.Save(context.Background(), "cart", canary.Record{Phase: canary.PhaseCanary, Stable: "1.0.0", Canary: "1.1.0"}); err != nil {
		t.Fatal(err)
	}
	ctx, o = open(t, f, v2, "shift-weight", f.Cluster.Kubeconfig)
	defer o.Close(ctx)
	_, err = canary.Shift(ctx, o.Env, o.Plan, canary.ShiftOptions{Weight: 10})
	if outcome.KindOf(err) != outcome.KindNegative || !strings.Contains(err.Error(), "not ready") {
		t.Fatalf("Shift to a canary that is not ready = %v, want a Negative refusal", err)
	}
	if w := weights(t, c, "shop", "cart")["cart"]; !slices.Equal(w, before["cart"]) {
		t.Errorf("route after the refusal = %v, want it unchanged (%v)", w, before["cart"])
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

// killer cancels the operation after a number of writes to the route
// objects and the records, the way a killed step stops anywhere.
type killer struct {
	mu     sync.Mutex
	left   int
	cancel context.CancelFunc
}

var errKilled = errors.New("killed")

func (k *killer) tick() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.left == 0 {
		k.cancel()
		return errKilled
	}
	k.left--
	return nil
}

// install makes every route and record write of e go through k.
func (k *killer) install(e *canary.Env, c *kube.Clients) {
	e.Mesh = func(c *kube.Clients) (canary.Mesh, error) {
		m, err := canary.Istio(c)
		return &killingMesh{m, k}, err
	}
	e.Records = &killingRecords{&canary.ConfigMapRecords{Client: c.Kube, Namespace: e.Place.Home().Namespace}, k}
}

type killingMesh struct {
	canary.Mesh
	k *killer
}

func (m *killingMesh) SetWeights(ctx context.Context, s traffic.Service, w []traffic.Weighted) error {
	if err := m.k.tick(); err != nil {
		return err
	}
	return m.Mesh.SetWeights(ctx, s, w)
}

func (m *killingMesh) SetSubsets(ctx context.Context, s traffic.Service, host string, ss []traffic.Subset, remove []string) error {
	if err := m.k.tick(); err != nil {
		return err
	}
	return m.Mesh.SetSubsets(ctx, s, host, ss, remove)
}

type killingRecords struct {
	canary.Records
	k *killer
}

func (r *killingRecords) Save(ctx context.Context, service string, rec canary.Record) error {
	if err := r.k.tick(); err != nil {
		return err
	}
	return r.Records.Save(ctx, service, rec)
}

// TestKilledStepsAreRepairedByRerunning kills promote and rollback, in
// each namespace topology, after every possible number of writes to the
// route objects and records, and checks that running the step again ends
// where an uninterrupted run ends.
func TestKilledStepsAreRepairedByRerunning(t *testing.T) {
	for _, layout := range []canarytest.Layout{
		canarytest.SingleCluster("shop"),
		canarytest.CanaryNamespace("shop", "shop-canary"),
	} {
		t.Run(layout.Name, func(t *testing.T) { killAndRerun(t, layout) })
	}
}

func killAndRerun(t *testing.T, layout canarytest.Layout) {
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	c := admin(t, f)
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}}, nil)
	promote := promoteKeeping(1)
	do(t, f, v1, "deploy-canary", f.Cluster.Kubeconfig, deployAt(0))
	do(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig, deployAt(30))
	do(t, f, v2, "promote", f.Cluster.Kubeconfig, promote)
	promoted := fingerprint(t, c, f)
	do(t, f, v2, "rollback", f.Cluster.Kubeconfig, rollback)
	rolledBack := fingerprint(t, c, f)

	for _, tc := range []struct {
		step string
		op   op
		want map[string]string
		prep func()
	}{
		{"promote", promote, promoted, func() {
			// Back to a canary at 30%: roll back (a no-op the first time),
			// then deploy again.
			do(t, f, v2, "rollback", f.Cluster.Kubeconfig, rollback)
			do(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig, deployAt(30))
		}},
		{"rollback", rollback, rolledBack, func() {
			do(t, f, v2, "deploy-canary", f.Cluster.Kubeconfig, deployAt(30))
			do(t, f, v2, "promote", f.Cluster.Kubeconfig, promote)
		}},
	} {
		for kill := 0; kill < 8; kill++ {
			tc.prep()
			ctx, o := open(t, f, v2, tc.step, f.Cluster.Kubeconfig)
			kctx, cancel := context.WithCancel(ctx)
			k := &killer{left: kill, cancel: cancel}
			k.install(o.Env, c)
			_, err := tc.op(kctx, o.Env, o)
			o.Close(ctx)
			if err == nil {
				// The step made fewer writes than allowed: every later
				// number of kills ends the same.
				t.Logf("%s makes %d writes; it was killed after each", tc.step, kill)
				break
			}
			do(t, f, v2, tc.step, f.Cluster.Kubeconfig, tc.op)
			if diff := cmp.Diff(tc.want, fingerprint(t, c, f)); diff != "" {
				t.Errorf("%s killed after %d writes, then re-run: state differs from an uninterrupted run:\n%s", tc.step, kill, diff)
			}
		}
	}
}

type gateFunc func(ctx context.Context, weight int) error

func (g gateFunc) Check(ctx context.Context, weight int) error { return g(ctx, weight) }

// guardedGate is a GuardedGate from two functions.
type guardedGate struct {
	gateFunc
	guard func(ctx context.Context) error
}

func (g guardedGate) Guard(ctx context.Context) error { return g.guard(ctx) }

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
		do(t, f, rel, "deploy-canary", f.Cluster.Kubeconfig, deployAt(0))
	}
	var writes atomic.Int64
	counted := countingClients(t, f, &writes)
	ctx, o := open(t, f, v2, "shift-weight", f.Cluster.Kubeconfig)
	defer o.Close(ctx)
	o.Env.Clusters = only(counted)
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
	f.Check(t, "the gate failed", canarytest.Serves("cart", "shop", "1.0.0"), canarytest.Serves("web", "shop", "1.0.0"), canarytest.Serves("api", "shop", "1.0.0"))
	for s, ws := range weights(t, c, "shop", "cart", "web", "api") {
		if len(ws) != 2 || ws[0].Weight != 100 || ws[1].Weight != 0 {
			t.Errorf("%s after the gate failed = %v, want 100/0", s, ws)
		}
	}

	// A guarded gate's guard, tripping once 10% is written, stops the
	// schedule in the middle of an hour's pause, before the gate is asked:
	// traffic goes back to stable at once.
	tripped := make(chan struct{})
	var once sync.Once
	o.Env.Progress = func(msg string) {
		if strings.HasPrefix(msg, "canary weight 10% ") {
			once.Do(func() { close(tripped) })
		}
	}
	asked = nil
	guarded := guardedGate{gateFunc: gate, guard: func(ctx context.Context) error {
		select {
		case <-tripped:
			return outcome.Negative(errors.New("guard: success rate 0%"))
		case <-ctx.Done():
			return nil
		}
	}}
	_, err = canary.Shift(ctx, o.Env, o.Plan, canary.ShiftOptions{Steps: []int{10, 20}, Pause: time.Hour, Gate: guarded})
	if outcome.KindOf(err) != outcome.KindNegative || !strings.Contains(err.Error(), "analysis failed at 10%: guard: success rate 0%; all traffic is back on stable") {
		t.Fatalf("Shift with a tripping guard = %v, want a Negative error saying traffic is back on stable", err)
	}
	if len(asked) != 0 {
		t.Errorf("gate asked at %v, want never: the guard cut the pause short", asked)
	}
	for s, ws := range weights(t, c, "shop", "cart", "web", "api") {
		if len(ws) != 2 || ws[0].Weight != 100 || ws[1].Weight != 0 {
			t.Errorf("%s after the guard tripped = %v, want 100/0", s, ws)
		}
	}

	// A guard that never trips stops with the schedule.
	quiet := guardedGate{gateFunc: gate, guard: func(ctx context.Context) error { <-ctx.Done(); return nil }}
	if _, err := canary.Shift(ctx, o.Env, o.Plan, canary.ShiftOptions{Steps: []int{10, 20}, Gate: quiet}); err != nil {
		t.Fatalf("Shift with a quiet guard = %v, want nil", err)
	}
	if !cmp.Equal(asked, []int{10, 20}) {
		t.Errorf("gate asked at %v, want [10 20]", asked)
	}
}
