package canary_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/topology"
)

var apiserverProfile = flag.String("apiserver-profile", "", "write the kube-apiserver's CPU profile over the timed work of the first op of BenchmarkDeployApply100 and BenchmarkPromote100 to this file prefix")

// profileAPIServer starts recording the API server's CPU profile for
// seconds (its /debug/pprof, as the admin user) when -apiserver-profile is
// set, and returns a function that waits for it and writes it to the
// prefix with name appended.
func profileAPIServer(b testing.TB, c *kube.Clients, name string, seconds int) func() {
	if *apiserverProfile == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		data, err := c.Kube.Discovery().RESTClient().Get().AbsPath("/debug/pprof/profile").
			Param("seconds", fmt.Sprint(seconds)).Timeout(time.Duration(seconds+30) * time.Second).DoRaw(context.Background())
		if err == nil {
			err = os.WriteFile(*apiserverProfile+name, data, 0o644)
		}
		if err != nil {
			b.Errorf("profiling the API server: %v", err)
		}
	}()
	return func() { <-done }
}

func services(n int) []canarytest.Service {
	out := make([]canarytest.Service, n)
	for i := range out {
		out[i] = canarytest.Service{Name: fmt.Sprintf("svc-%03d", i), Replicas: 1}
	}
	return out
}

// countingClients are admin clients that count the write requests made to
// VirtualServices.
func countingClients(b testing.TB, f *canarytest.Fixture, writes *atomic.Int64) *kube.Clients {
	return wiredClients(b, f, writes, nil)
}

// wiredClients are countingClients that also count all their traffic in w
// (nil: not).
func wiredClients(b testing.TB, f *canarytest.Fixture, writes *atomic.Int64, w *wire) *kube.Clients {
	cfg, err := kube.RESTConfig(kube.Options{Kubeconfig: f.Cluster.Kubeconfig})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		rt = w.wrap(rt)
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/virtualservices") {
				writes.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	c, err := kube.NewClients(cfg, kube.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// only resolves every kubeconfig context to c.
func only(c *kube.Clients) canary.Clusters {
	r := kube.NewResolver(kube.Options{})
	r.Set("", c)
	return r
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkDeployApply100 measures deploy-canary's apply phase for a
// 100-service release on one cluster, with the real Deploy: from its
// "applying" progress line to its "waiting" one (the images were checked
// in the registry just before). Each op deploys a first release
// into a fresh namespace (100 Services and 100 Deployments created:
// ms-apply/op) and then the next release's canaries beside it (the
// Services unchanged, 100 new Deployments: ms-apply-canary/op); the
// readiness waits are the cluster's and only in ms-deploy/op. Requests,
// bytes and the control plane's CPU are those of the canary apply phase.
// Target: apply at most 2 s.
func BenchmarkDeployApply100(b *testing.B) {
	f := canarytest.StartWith(b, "bench", devenv.ClusterOptions{Nodes: 6, Profiling: *apiserverProfile != ""})
	v1 := f.Plan(b, "1.0.0", services(100), nil)
	v2 := f.Plan(b, "1.1.0", services(100), nil)
	var writes atomic.Int64
	w := &wire{}
	c := wiredClients(b, f, &writes, w)
	ctx := context.Background()
	var applyFirst, applyCanary, deploy, cpu time.Duration
	var requests, sent, received int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ns := fmt.Sprintf("bench-%d", i)
		if err := f.Cluster.EnsureNamespace(ctx, ns); err != nil {
			b.Fatal(err)
		}
		place, err := topology.Place(v1.Loaded.Plan.Config.Topology, topology.Options{Namespace: ns})
		if err != nil {
			b.Fatal(err)
		}
		env := canary.NewEnv(place, only(c))
		env.Timeout = 5 * time.Minute
		env.Images = canary.RegistryImages{Client: registry.New(registry.Options{})}
		for n, rel := range []canarytest.Release{v1, v2} {
			var t0 time.Time
			var cpu0 time.Duration
			wait := func() {}
			env.Progress = func(line string) {
				switch {
				case strings.HasPrefix(line, "applying "):
					if i == 0 && n == 1 {
						wait = profileAPIServer(b, c, "-apply.pprof", 8)
					}
					w.reset()
					cpu0 = controlPlaneCPU(f)
					t0 = time.Now()
				case strings.HasPrefix(line, "waiting for ") && !t0.IsZero():
					d := time.Since(t0)
					if n == 0 {
						applyFirst += d
						return
					}
					applyCanary += d
					cpu += controlPlaneCPU(f) - cpu0
					requests, sent, received = requests+w.requests.Load(), sent+w.sent.Load(), received+w.received.Load()
				}
			}
			b.StartTimer()
			start := time.Now()
			if _, err := canary.Deploy(ctx, env, rel.Loaded, canary.DeployOptions{InitialWeight: 10}); err != nil {
				b.Fatal(err)
			}
			deploy += time.Since(start)
			b.StopTimer()
			wait()
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(applyFirst.Milliseconds())/float64(b.N), "ms-apply/op")
	b.ReportMetric(float64(applyCanary.Milliseconds())/float64(b.N), "ms-apply-canary/op")
	b.ReportMetric(float64(deploy.Milliseconds())/float64(b.N), "ms-deploy/op")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "ms-control-plane-cpu/op")
	w.requests.Store(requests)
	w.sent.Store(sent)
	w.received.Store(received)
	w.report(b, b.N)
}

// BenchmarkShift100 measures shift-weight across the 100 canaries of a
// release, moving between 10% and 20% so that every VirtualService really
// changes, and reports the VirtualService writes per shift (target: 100,
// one per service) and the time per shift (target: at most 0.3 s), with
// the CPU a shift costs the control plane and aviary (see reportCPU).
// AVIARY_BENCH_PARALLEL sets the Env's request parallelism (default 16).
func BenchmarkShift100(b *testing.B) {
	f := canarytest.StartWith(b, "shop", devenv.ClusterOptions{Nodes: 3})
	svcs := services(100)
	v1 := f.Plan(b, "1.0.0", svcs, nil)
	v2 := f.Plan(b, "1.1.0", svcs, nil)
	var writes atomic.Int64
	w := &wire{}
	c := wiredClients(b, f, &writes, w)
	place, err := topology.Place(v1.Loaded.Plan.Config.Topology, topology.Options{})
	if err != nil {
		b.Fatal(err)
	}
	env := canary.NewEnv(place, only(c))
	env.Timeout = 5 * time.Minute
	if p := os.Getenv("AVIARY_BENCH_PARALLEL"); p != "" {
		fmt.Sscan(p, &env.Parallel)
	}
	ctx := context.Background()
	start := time.Now()
	for _, rel := range []canarytest.Release{v1, v2} {
		if _, err := canary.Deploy(ctx, env, rel.Loaded, canary.DeployOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("deployed 100 services and their 100 canaries, ready, in %s", time.Since(start).Round(time.Millisecond))
	writes.Store(0)
	w.reset()
	cpu0, own0 := controlPlaneCPU(f), devenv.ProcessCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		weight := 10 + 10*(i%2)
		if _, err := canary.Shift(ctx, env, v2.Loaded, canary.ShiftOptions{Weight: weight}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(writes.Load())/float64(b.N), "vs-writes/op")
	reportCPU(b, controlPlaneCPU(f)-cpu0, devenv.ProcessCPU()-own0, b.N)
	w.report(b, b.N)
}

// BenchmarkPromote100 measures promote across the 100 canaries of a
// release whose Deployments are all ready (the readiness wait is the
// cluster's, excluded by deploying first): each op deploys the next
// release's 100 canaries untimed, then times Promote. It reports the
// write requests per promote (every kind) and the time per promote
// (target: at most 1 s) with the CPU it costs (see reportCPU), and logs
// the requests of each promote by method and resource, and the CPU each
// control-plane process used. AVIARY_BENCH_PARALLEL sets the Env's request parallelism
// (default 16), to see how much of the time is round trips;
// AVIARY_BENCH_SERVICES the number of services (default 100), to see how
// the cost of each write grows with the namespace.
func BenchmarkPromote100(b *testing.B) {
	n := 100
	if s := os.Getenv("AVIARY_BENCH_SERVICES"); s != "" {
		fmt.Sscan(s, &n)
	}
	// A kwok node runs 110 pods; a service runs up to 3 versions.
	f := canarytest.StartWith(b, "shop", devenv.ClusterOptions{Nodes: max(4, 3*n/100+1), Profiling: *apiserverProfile != ""})
	svcs := services(n)
	var writes atomic.Int64
	perKind := &requestTally{}
	w := &wire{}
	c := writeCountingClients(b, f, &writes, perKind, w)
	v1 := f.Plan(b, "1.0.0", svcs, nil)
	place, err := topology.Place(v1.Loaded.Plan.Config.Topology, topology.Options{})
	if err != nil {
		b.Fatal(err)
	}
	env := canary.NewEnv(place, only(c))
	env.Timeout = 5 * time.Minute
	if p := os.Getenv("AVIARY_BENCH_PARALLEL"); p != "" {
		fmt.Sscan(p, &env.Parallel)
	}
	ctx := context.Background()
	if _, err := canary.Deploy(ctx, env, v1.Loaded, canary.DeployOptions{}); err != nil {
		b.Fatal(err)
	}
	var promoteTime, cpu, own time.Duration
	var promoteWrites, requests, sent, received int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rel := f.Plan(b, fmt.Sprintf("1.%d.0", i+1), svcs, nil)
		if _, err := canary.Deploy(ctx, env, rel.Loaded, canary.DeployOptions{InitialWeight: 10}); err != nil {
			b.Fatal(err)
		}
		writes.Store(0)
		perKind.reset()
		wait := func() {}
		if i == 0 {
			wait = profileAPIServer(b, c, "-promote.pprof", 12)
		}
		w.reset()
		cpu0, own0, byProcess := controlPlaneCPU(f), devenv.ProcessCPU(), controlPlaneCPUByProcess(f)
		b.StartTimer()
		t0 := time.Now()
		if _, err := canary.Promote(ctx, env, rel.Loaded, canary.PromoteOptions{}); err != nil {
			b.Fatal(err)
		}
		promoteTime += time.Since(t0)
		promoteWrites += writes.Load()
		cpu, own = cpu+controlPlaneCPU(f)-cpu0, own+devenv.ProcessCPU()-own0
		requests, sent, received = requests+w.requests.Load(), sent+w.sent.Load(), received+w.received.Load()
		b.StopTimer()
		wait()
		b.Logf("promote %d: %v, writes %s; control-plane CPU since it started: %s", i+1, time.Since(t0).Round(time.Millisecond), perKind, cpuSince(f, byProcess))
		b.StartTimer()
	}
	b.ReportMetric(float64(promoteTime.Milliseconds())/float64(b.N), "ms-promote/op")
	b.ReportMetric(float64(promoteWrites)/float64(b.N), "writes/op")
	reportCPU(b, cpu, own, b.N)
	w.requests.Store(requests)
	w.sent.Store(sent)
	w.received.Store(received)
	w.report(b, b.N)
}

// requestTally counts requests by method and resource.
type requestTally struct {
	mu sync.Mutex
	n  map[string]int
}

func (t *requestTally) add(method, path string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	resource := path
	for i, p := range parts {
		if p == "namespaces" && i+2 < len(parts) {
			resource = parts[i+2]
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[method+" "+resource]++
}

func (t *requestTally) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n = nil
}

func (t *requestTally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]string, 0, len(t.n))
	for k := range t.n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s %d", k, t.n[k]))
	}
	return strings.Join(out, ", ")
}

// writeCountingClients are admin clients that count every write request,
// and every request by method and resource in tally.
func writeCountingClients(b testing.TB, f *canarytest.Fixture, writes *atomic.Int64, tally *requestTally, w *wire) *kube.Clients {
	cfg, err := kube.RESTConfig(kube.Options{Kubeconfig: f.Cluster.Kubeconfig})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		rt = w.wrap(rt)
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method != http.MethodGet {
				writes.Add(1)
			}
			tally.add(r.Method, r.URL.Path)
			return rt.RoundTrip(r)
		})
	})
	c, err := kube.NewClients(cfg, kube.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}
