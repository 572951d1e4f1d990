package steps_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/config"
)

// TestKillTrials kills the real step binaries with SIGKILL at random
// moments against a real control plane and checks, after every kill, that
// the invariants hold (see cluster.invariants) and that running the step
// again converges to the state an uninterrupted run leaves.
//
// Trials run in lanes: a lane is a namespace (two for blue/green) that
// walks a whole release pipeline, each step of which is one trial: the step
// is started, killed after a random time within how long it takes
// uninterrupted, checked, re-run to its end and compared with the
// reference lane, which walked the same pipeline without kills. Every third
// re-run is a new CI run (another lock holder): it must wait for the killed
// run's lock and take it over once the lease runs out, naming the dead
// holder.
//
// AVIARY_KILL_TRIALS sets the number of kills (default 50),
// AVIARY_KILL_SEED the seed (printed, so that a failure can be repeated).
func TestKillTrials(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster and kills real step binaries; skipped with -short")
	}
	want := envInt(t, "AVIARY_KILL_TRIALS", 50)
	seed := uint64(envInt(t, "AVIARY_KILL_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("kill trials: %d kills, seed %d (AVIARY_KILL_SEED=%d repeats the choices)", want, seed, seed)
	bins := stepBinaries(t)
	f := canarytest.StartWith(t, "ref", devenv.ClusterOptions{Nodes: 2})
	k := newKillEnv(t, f, bins)

	start := time.Now()
	ref := k.reference(t)
	t.Logf("reference lanes walked in %s", time.Since(start).Round(time.Millisecond))
	k.selfCheck(t, "ref-single")

	var (
		kills, finished, takeovers atomic.Int64
		wg                         sync.WaitGroup
		sem                        = make(chan struct{}, envInt(t, "AVIARY_KILL_PARALLEL", 2))
		mu                         sync.Mutex
		lanes                      int
		byStep                     = map[string]int{}
	)
	for lane := 0; kills.Load() < int64(want); lane++ {
		sem <- struct{}{}
		if kills.Load() >= int64(want) || t.Failed() {
			<-sem
			break
		}
		mu.Lock()
		lanes++
		mu.Unlock()
		kind := laneKinds[lane%len(laneKinds)]
		rng := rand.New(rand.NewPCG(seed, uint64(lane)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			l := k.newLane(t, kind, lane)
			for i, st := range l.pipeline {
				killed, tookOver := l.trial(t, rng, i, st, ref[kind])
				if killed {
					kills.Add(1)
					mu.Lock()
					byStep[st.name]++
					mu.Unlock()
				} else {
					finished.Add(1)
				}
				if tookOver {
					takeovers.Add(1)
				}
				if t.Failed() {
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("kill trials: %d kills %v (%d more runs ended before their kill) in %d lanes, %d locks of killed runs taken over by a new holder; seed %d; %s",
		kills.Load(), byStep, finished.Load(), lanes, takeovers.Load(), seed, time.Since(start).Round(time.Second))
	if kills.Load() < int64(want) && !t.Failed() {
		t.Errorf("only %d kills, want %d", kills.Load(), want)
	}
}

// laneKinds alternate: two single-cluster lanes, then a blue/green one.
var laneKinds = []string{"single", "single", "blue-green"}

// killEnv is the cluster, the registry, the plans and the binaries.
type killEnv struct {
	f     *canarytest.Fixture
	bins  string
	c     *cluster
	plans map[string]canarytest.Release // single-cluster plans by version
}

func newKillEnv(t *testing.T, f *canarytest.Fixture, bins string) *killEnv {
	k := &killEnv{f: f, bins: bins, c: newCluster(t, f.Cluster.RESTConfig()), plans: map[string]canarytest.Release{}}
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		k.plans[v] = f.Plan(t, v, services(), nil)
	}
	return k
}

func services() []canarytest.Service {
	return []canarytest.Service{{Name: "cart", Replicas: 1}, {Name: "web", Replicas: 1}}
}

// stepRun is one step of a pipeline.
type stepRun struct {
	name string
	args []string
}

// lane is one walk of a pipeline in its own namespaces.
type lane struct {
	k          *killEnv
	kind       string
	namespaces []string // the route namespace first
	replace    []string // old, new, ...: what differs between lanes by design
	holder     string
	retries    int
	pipeline   []stepRun
}

// placeholders name a lane's namespaces in snapshots.
var placeholders = map[string][]string{"single": {"NS"}, "blue-green": {"BLUE", "GREEN"}}

func (k *killEnv) newLane(t *testing.T, kind string, n int) *lane {
	t.Helper()
	name := fmt.Sprintf("lane-%d", n)
	if n < 0 {
		name = "ref-" + kind
	}
	l := &lane{k: k, kind: kind, holder: name}
	ctx := context.Background()
	switch kind {
	case "single":
		l.namespaces = []string{name}
		common := []string{"--namespace=" + name}
		plan := func(v string) string { return "--plan=" + k.plans[v].Ref }
		l.pipeline = []stepRun{
			{"deploy-canary", append([]string{plan("1.0.0")}, common...)},
			{"deploy-canary", append([]string{plan("1.1.0"), "--initial-weight=10"}, common...)},
			{"shift-weight", append([]string{plan("1.1.0"), "--steps=20,40", "--pause=300ms"}, common...)},
			{"promote", append([]string{plan("1.1.0")}, common...)},
			{"deploy-canary", append([]string{plan("1.2.0"), "--initial-weight=10"}, common...)},
			{"shift-weight", append([]string{plan("1.2.0"), "--weight=30"}, common...)},
			{"rollback", append([]string{plan("1.2.0")}, common...)},
		}
	case "blue-green":
		blue, green := name+"-blue", name+"-green"
		l.namespaces = []string{blue, green}
		topo := func(c *config.Config) {
			c.Topology = canarytest.BlueGreenNamespaces(blue, green).Topology
		}
		// The plans name the lane's namespaces, so each lane has its own,
		// in a registry of its own (a version's plan tag is immutable).
		fx := &canarytest.Fixture{Cluster: k.f.Cluster, Registry: devenv.StartRegistry(t, devenv.RegistryOptions{}), Namespace: blue}
		var refs []string
		for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
			ref := fx.Plan(t, v, services(), topo).Ref
			refs = append(refs, "--plan="+ref)
			l.replace = append(l.replace, ref, "PLAN-"+v)
		}
		l.replace = append(l.replace, fx.Registry.Host, "REGISTRY")
		l.pipeline = []stepRun{
			{"rebuild-cluster", []string{refs[0], "--namespace=" + green}},
			{"rebuild-cluster", []string{refs[1], "--namespace=" + blue}},
			{"rebuild-cluster", []string{refs[2], "--namespace=" + green}},
		}
	}
	for _, ns := range l.namespaces {
		if err := k.f.Cluster.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// args are a step's arguments in this lane: the pipeline's, the cluster,
// who holds the lock, and short timeouts.
func (l *lane) args(st stepRun) []string {
	args := []string{
		"--kubeconfig=" + l.k.f.Cluster.Kubeconfig, "--holder=" + l.holder,
		"--lock-ttl=4s", "--lock-wait=1m", "--request-timeout=10s",
	}
	if st.name != "shift-weight" { // it waits for no Deployment
		args = append(args, "--timeout=2m")
	}
	return append(args, st.args...)
}

// reference is an uninterrupted walk of every kind of lane.
type reference struct {
	states []state
	took   []time.Duration
}

func (k *killEnv) reference(t *testing.T) map[string]reference {
	t.Helper()
	out := map[string]reference{}
	for i, kind := range []string{"single", "blue-green"} {
		l := k.newLane(t, kind, -1-i)
		var ref reference
		for _, st := range l.pipeline {
			p, code := runStep(t, k.bins, st.name, stepEnv(), l.args(st)...)
			if code != 0 {
				t.Fatalf("reference %s %v = exit %d\n%s", st.name, st.args, code, p.stderr.String())
			}
			ref.took = append(ref.took, p.took)
			ref.states = append(ref.states, l.snapshot(t))
		}
		out[kind] = ref
	}
	return out
}

func (l *lane) snapshot(t *testing.T) state {
	t.Helper()
	st, err := l.k.c.snapshot(context.Background(), l.namespaces, placeholders[l.kind], l.replace...)
	if err != nil {
		t.Fatalf("reading the state of %v: %v", l.namespaces, err)
	}
	return st
}

// trial runs step i of the lane, kills it after a random time, checks the
// invariants, runs it again to its end and compares with the reference.
// It reports whether the kill hit a running step, and whether the re-run
// took a dead holder's lock over.
func (l *lane) trial(t *testing.T, rng *rand.Rand, i int, st stepRun, ref reference) (killed, tookOver bool) {
	ctx := context.Background()
	delay := time.Duration(rng.Int64N(int64(ref.took[i])*9/10 + 1))
	p := startStep(t, l.k.bins, st.name, stepEnv(), l.args(st)...)
	time.Sleep(delay)
	killed = p.kill()
	what := fmt.Sprintf("%s %s (step %d, %s) killed after %s", l.namespaces[0], st.name, i+1, strings.Join(st.args, " "), delay.Round(time.Millisecond))
	if !killed {
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("%s: it ended before the kill with exit %d\n%s", what, code, p.stderr.String())
		}
	}
	for _, ns := range l.namespaces[:1] {
		bad, err := l.k.c.invariants(ctx, ns)
		if err != nil {
			t.Fatalf("%s: checking invariants: %v", what, err)
		}
		if len(bad) > 0 {
			t.Errorf("%s: invariants broken:\n  %s\nstderr of the killed run:\n%s", what, strings.Join(bad, "\n  "), p.stderr.String())
		}
	}

	// Every third re-run is a new CI run: another holder, who must wait for
	// the killed run's lease to run out and take it over.
	dead := l.holder
	l.retries++
	newRun := killed && l.retries%3 == 0
	if newRun {
		l.holder = fmt.Sprintf("%s-run%d", l.namespaces[0], l.retries)
	}
	held := l.leaseHolder(t) == dead
	again, code := runStep(t, l.k.bins, st.name, stepEnv(), l.args(st)...)
	if code != 0 {
		t.Errorf("%s: re-run = exit %d, want 0\n%s", what, code, again.stderr.String())
		return killed, false
	}
	if newRun && held {
		msg := fmt.Sprintf("took over the lock of namespace %q from %q", l.namespaces[0], dead)
		if !strings.Contains(again.stderr.String(), msg) {
			t.Errorf("%s: the re-run by %s does not say %q:\n%s", what, l.holder, msg, again.stderr.String())
		}
		tookOver = true
	}
	if diff := cmp.Diff(ref.states[i], l.snapshot(t)); diff != "" {
		t.Errorf("%s: after the re-run the state differs from an uninterrupted run (-want +got):\n%s", what, diff)
	}
	return killed, tookOver
}

// leaseHolder is who holds the lane's lock now, "" for nobody.
func (l *lane) leaseHolder(t *testing.T) string {
	st := l.snapshot(t)
	for _, h := range st.Leases {
		return fmt.Sprint(h)
	}
	return ""
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: not a number", name, v)
	}
	return n
}

// selfCheck breaks a walked namespace on purpose, once a weight and once a
// routed version's replicas, and checks that the invariants see each, so
// that a run in which they never fire means something.
func (k *killEnv) selfCheck(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	breakages := []struct {
		name       string
		patch      func() error
		restore    func() error
		wantReport string
	}{
		{"a weight", func() error { return patchWeight(ctx, k, ns, 90) }, func() error { return patchWeight(ctx, k, ns, 100) }, "weights sum to 90"},
		{"the routed version's replicas", func() error { return scale(ctx, k, ns, "cart-v1-1-0", 0) }, func() error { return scale(ctx, k, ns, "cart-v1-1-0", 1) }, "no Deployment with replicas runs pods"},
	}
	for _, b := range breakages {
		if err := b.patch(); err != nil {
			t.Fatalf("breaking %s: %v", b.name, err)
		}
		bad, err := k.c.invariants(ctx, ns)
		if err != nil || !strings.Contains(strings.Join(bad, "\n"), b.wantReport) {
			t.Fatalf("with %s broken the invariants report %v, %v; want %q", b.name, bad, err, b.wantReport)
		}
		if err := b.restore(); err != nil {
			t.Fatalf("restoring %s: %v", b.name, err)
		}
	}
}

// patchWeight sets the weight of the first destination of cart's route.
func patchWeight(ctx context.Context, k *killEnv, ns string, w int) error {
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/http/0/route/0/weight","value":%d}]`, w)
	_, err := k.c.dyn.Resource(virtualServices).Namespace(ns).Patch(ctx, "cart", types.JSONPatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// scale sets a Deployment's replicas, reading it again when the
// controller changed it in between.
func scale(ctx context.Context, k *killEnv, ns, name string, n int32) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := k.c.kube.AppsV1().Deployments(ns).GetScale(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s.Spec.Replicas = n
		_, err = k.c.kube.AppsV1().Deployments(ns).UpdateScale(ctx, name, s, metav1.UpdateOptions{})
		return err
	})
}
