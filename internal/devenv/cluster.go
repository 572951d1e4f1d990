package devenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ClusterOptions configures a cluster. The zero value is a cluster named
// "cluster-1" with Istio's CRDs and one kwok node.
type ClusterOptions struct {
	// Name names the cluster in its kubeconfig (default "cluster-1";
	// StartClusters numbers them "cluster-1", "cluster-2", ... or
	// "<Name>-1", ... when Name is set).
	Name string
	// SkipIstioCRDs leaves Istio's CRDs out (they take about a second).
	SkipIstioCRDs bool
	// Nodes is the number of kwok nodes (default 1).
	Nodes int
	// ClusterID is the cluster's Istio cluster ID, the name istiod knows it
	// by (--clusterID, a remote secret's key, the topology.istio.io/cluster
	// label of its endpoints). Default: the cluster's name; StartClusters
	// numbers a set one like Name.
	ClusterID string
	// PodCIDR is the range kwok gives pod IPs from (for every cluster of
	// StartClusters when set). Default: a /16 of its own per cluster of
	// this process (10.244.0.0/16, 10.245.0.0/16, ...), so that pod IPs tell
	// clusters apart as in a single-network mesh.
	PodCIDR string
	// Profiling makes kube-apiserver serve /debug/pprof to the admin user,
	// for benchmarks that look at where the server's time goes.
	Profiling bool
}

// Cluster is a real Kubernetes control plane on loopback: etcd,
// kube-apiserver, kube-controller-manager (deployment, replicaset,
// endpointslice, node-lifecycle, serviceaccount, namespace and
// garbage-collector controllers), kube-scheduler and kwok, which plays the
// kubelet: pods are scheduled onto fake nodes and become Running and Ready
// without containers, with IPs from PodCIDR.
type Cluster struct {
	// Name is the cluster's name (also its kubeconfig context).
	Name string
	// ClusterID is the cluster's Istio cluster ID (see ClusterOptions).
	ClusterID string
	// PodCIDR is the range its pods' IPs come from.
	PodCIDR string
	// Kubeconfig is the path of an admin (system:masters) kubeconfig.
	Kubeconfig string
	// Server is the API server URL, "https://127.0.0.1:<port>".
	Server string
	// CAFile is the PEM file of the CA that signed the API server's certificate.
	CAFile string
	// Dir holds the cluster's files and process logs (*.log); it is
	// removed on Close.
	Dir string

	ca        *certAuthority
	token     string
	procs     []*process
	client    *kubernetes.Clientset
	mu        sync.Mutex
	closeOnce sync.Once

	// The namespaced kinds reset deletes (see namespacedKinds).
	kindsOnce sync.Once
	kinds     []namespacedKind
	kindsErr  error
}

// RESTConfig returns a fresh admin client configuration.
func (c *Cluster) RESTConfig() *rest.Config {
	return &rest.Config{
		Host:            c.Server,
		BearerToken:     c.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.certPEM},
		QPS:             100,
		Burst:           200,
	}
}

// Client returns an admin clientset.
func (c *Cluster) Client() *kubernetes.Clientset { return c.client }

// PIDs returns the process ids of the cluster's processes.
func (c *Cluster) PIDs() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pids []int
	for _, p := range c.procs {
		pids = append(pids, p.pid())
	}
	return pids
}

// NewCluster starts a cluster and waits until a Deployment can become
// Available on it. Close stops it.
func NewCluster(ctx context.Context, opts ClusterOptions) (*Cluster, error) {
	if opts.Name == "" {
		opts.Name = "cluster-1"
	}
	if opts.Nodes <= 0 {
		opts.Nodes = 1
	}
	if opts.ClusterID == "" {
		opts.ClusterID = opts.Name
	}
	if opts.PodCIDR == "" {
		opts.PodCIDR = nextPodCIDR()
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		c, err := startCluster(ctx, opts)
		if err == nil {
			return c, nil
		}
		lastErr = err
		if !addressInUse(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// StartCluster starts a cluster for the test and stops it when the test ends.
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	return StartClusters(t, 1, opts)[0]
}

// StartClusters starts n clusters in parallel for the test and stops them
// when the test ends.
func StartClusters(t testing.TB, n int, opts ClusterOptions) []*Cluster {
	t.Helper()
	return startForTest(t, fmt.Sprintf("%d cluster(s)", n), func(ctx context.Context) ([]*Cluster, error) {
		return NewClusters(ctx, n, opts)
	})
}

// startForTest builds the cluster binaries if needed (a first build takes
// minutes; only the start is bounded), starts clusters with start and
// stops them when the test ends.
func startForTest(t testing.TB, what string, start func(context.Context) ([]*Cluster, error)) []*Cluster {
	t.Helper()
	clusters := startForTestUnowned(t, what, start)
	t.Cleanup(func() {
		for _, c := range clusters {
			_ = c.Close()
		}
	})
	return clusters
}

// startForTestUnowned is startForTest leaving the clusters running when
// the test ends (the shared pool owns them).
func startForTestUnowned(t testing.TB, what string, start func(context.Context) ([]*Cluster, error)) []*Cluster {
	t.Helper()
	if _, err := toolPaths(context.Background(), clusterTools...); err != nil {
		t.Fatalf("starting %s: %v", what, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	clusters, err := start(ctx)
	if err != nil {
		t.Fatalf("starting %s: %v", what, err)
	}
	return clusters
}

// NewClusters starts n clusters in parallel. On error none is left running.
func NewClusters(ctx context.Context, n int, opts ClusterOptions) ([]*Cluster, error) {
	all := make([]ClusterOptions, n)
	for i := range n {
		o := opts
		o.Name = clusterName(opts.Name, i, n)
		if opts.ClusterID != "" {
			o.ClusterID = clusterName(opts.ClusterID, i, n)
		}
		all[i] = o
	}
	return newAll(ctx, all)
}

// newAll starts a cluster per options in parallel, resolving (and on first
// use building) the binaries once, not per cluster. Options without a pod
// range get one in order: the first gets the lowest. On error none is left
// running.
func newAll(ctx context.Context, all []ClusterOptions) ([]*Cluster, error) {
	if _, err := toolPaths(ctx, clusterTools...); err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].PodCIDR == "" {
			all[i].PodCIDR = nextPodCIDR()
		}
	}
	clusters := make([]*Cluster, len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, o := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clusters[i], errs[i] = NewCluster(ctx, o)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range clusters {
			if c != nil {
				_ = c.Close()
			}
		}
		return nil, err
	}
	return clusters, nil
}

// podCIDRs counts the pod ranges handed out by nextPodCIDR.
var podCIDRs atomic.Int32

// nextPodCIDR returns a /16 no other cluster of this process has:
// 10.244-255, then 10.128-243 (clear of the service range 10.96.0.0/16 and
// kwok's node IP 10.0.0.1), then round again.
func nextPodCIDR() string {
	k := int(podCIDRs.Add(1) - 1)
	octet := 244 + k
	if k >= 12 {
		octet = 128 + (k-12)%116
	}
	return fmt.Sprintf("10.%d.0.0/16", octet)
}

func clusterName(base string, i, n int) string {
	switch {
	case base == "":
		return fmt.Sprintf("cluster-%d", i+1)
	case n == 1:
		return base
	default:
		return fmt.Sprintf("%s-%d", base, i+1)
	}
}

// Close kills every process of the cluster and removes its files. It is
// safe to call more than once.
func (c *Cluster) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.mu.Lock()
		procs := c.procs
		c.mu.Unlock()
		var wg sync.WaitGroup
		for _, p := range procs {
			wg.Add(1)
			go func() { defer wg.Done(); p.kill() }()
		}
		wg.Wait()
		if os.Getenv("AVIARY_DEVENV_KEEP") == "" {
			err = os.RemoveAll(c.Dir)
		}
	})
	return err
}

func (c *Cluster) addProcess(p *process) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.procs = append(c.procs, p)
}

// checkProcesses returns an error if any process of the cluster has ended.
func (c *Cluster) checkProcesses() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if done, err := p.exited(); done {
			return err
		}
	}
	return nil
}
