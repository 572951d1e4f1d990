package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/dynamic"

	"github.com/aviary-cd/aviary/internal/devenv"
)

// env is the demo's local environment: a registry served by this process,
// one Kubernetes control plane with Istio's CRDs (or one per cluster a
// cluster topology names), istiod for the cluster holding the route (with a
// remote secret for each other cluster: one mesh), the workload simulator
// (devenv.Mesh: a gRPC server per pod of every cluster, callers routed by
// istiod) and Prometheus scraping the Istio metrics of its real requests.
type env struct {
	Registry *devenv.Registry
	// Cluster is the one cluster, or the one holding the route.
	Cluster *devenv.Cluster
	// Clusters are every cluster by kubeconfig context, Cluster first
	// (Order); empty names for one cluster.
	Clusters map[string]*devenv.Cluster
	Order    []string
	// Kubeconfig reaches every cluster: a context per cluster of a
	// cluster topology.
	Kubeconfig string
	Istiod     *devenv.Istiod
	Mesh       *devenv.Mesh
	Prometheus *devenv.Prometheus
	Dynamic    dynamic.Interface
	Traffic    *traffic
}

// startEnv starts everything: one cluster when clusters is empty, else a
// cluster per name (its kubeconfig context and Istio cluster ID) and a
// kubeconfig in dir reaching all of them. On error nothing is left
// running.
func startEnv(ctx context.Context, out io.Writer, clusters []string, dir string) (_ *env, err error) {
	if err := ensureTools(ctx, out); err != nil {
		return nil, err
	}
	e := &env{Clusters: map[string]*devenv.Cluster{}}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	start := time.Now()
	if e.Registry, err = devenv.NewRegistry(ctx, devenv.RegistryOptions{}); err != nil {
		return nil, fmt.Errorf("starting the registry: %w", err)
	}
	if e.Mesh, err = devenv.NewMesh(ctx, devenv.MeshOptions{}); err != nil {
		return nil, fmt.Errorf("starting the workload simulator: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if len(clusters) == 0 {
			c, err := devenv.NewCluster(gctx, devenv.ClusterOptions{})
			if c != nil {
				e.Clusters[""], e.Order = c, []string{""}
			}
			return err
		}
		cs, err := devenv.NewNamedClusters(gctx, clusters, devenv.ClusterOptions{})
		for _, c := range cs {
			e.Clusters[c.Name], e.Order = c, append(e.Order, c.Name)
		}
		return err
	})
	g.Go(func() error {
		p, err := devenv.NewPrometheus(gctx, devenv.PrometheusOptions{Targets: []string{e.Mesh.Target}})
		e.Prometheus = p
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("starting the environment: %w", err)
	}
	e.Cluster = e.Clusters[e.Order[0]]
	e.Kubeconfig = e.Cluster.Kubeconfig
	var remotes []*devenv.Cluster
	if len(clusters) > 0 {
		files := map[string]string{}
		for _, name := range e.Order {
			files[name] = e.Clusters[name].Kubeconfig
			if name != e.Order[0] {
				remotes = append(remotes, e.Clusters[name])
			}
		}
		e.Kubeconfig = filepath.Join(dir, "kubeconfig")
		if err := devenv.MergeKubeconfigs(e.Kubeconfig, files); err != nil {
			return nil, err
		}
	}
	if e.Dynamic, err = dynamic.NewForConfig(e.Cluster.RESTConfig()); err != nil {
		return nil, fmt.Errorf("creating a dynamic client: %w", err)
	}
	for _, name := range e.Order {
		if err := e.Mesh.Watch(ctx, e.Clusters[name]); err != nil {
			return nil, fmt.Errorf("starting the workload simulator: %w", err)
		}
	}
	if e.Istiod, err = devenv.NewIstiod(ctx, e.Cluster, devenv.IstiodOptions{Remotes: remotes, Env: []string{"PILOT_DEBOUNCE_AFTER=10ms"}}); err != nil {
		return nil, err
	}

	fmt.Fprintf(out, "  registry    %s (CNCF Distribution, in this process)\n", e.Registry.Host)
	for _, name := range e.Order {
		c := e.Clusters[name]
		fmt.Fprintf(out, "  cluster     %s at %s: etcd, kube-apiserver, controller-manager, scheduler, kwok; Istio CRDs\n", c.Name, c.Server)
	}
	if len(remotes) > 0 {
		fmt.Fprintf(out, "  istiod      xDS at %s (pilot-discovery, no TLS) for cluster %s, one mesh: a remote secret for each other cluster\n", e.Istiod.GRPCAddr, e.Cluster.Name)
	} else {
		fmt.Fprintf(out, "  istiod      xDS at %s (pilot-discovery, no TLS)\n", e.Istiod.GRPCAddr)
	}
	fmt.Fprintf(out, "  workloads   a gRPC server per pod on loopback; Istio metrics at %s\n", e.Mesh.URL)
	fmt.Fprintf(out, "  prometheus  %s, scraping those metrics every %s\n", e.Prometheus.URL, e.Prometheus.ScrapeInterval)
	fmt.Fprintf(out, "  started in %s\n", since(start))
	return e, nil
}

// startTraffic creates the release's namespaces (the route's first) in
// every cluster and readies the callers of its services, which start once
// the services exist (see traffic.start): they run in the route's
// namespace of the cluster holding it and call the hosts of hostNS.
func (e *env) startTraffic(ctx context.Context, out io.Writer, namespaces []string, hostNS string, services []string) error {
	for _, name := range e.Order {
		for _, ns := range namespaces {
			if err := e.Clusters[name].EnsureNamespace(ctx, ns); err != nil {
				return err
			}
		}
	}
	e.Traffic = newTraffic(e.Mesh, e.Istiod, namespaces[0], hostNS, services)
	fmt.Fprintf(out, "  traffic     real gRPC requests routed by istiod once the services exist: %s\n", e.Traffic.describe())
	return nil
}

// Close stops everything that was started.
func (e *env) Close() {
	var errs []error
	if e.Mesh != nil {
		errs = append(errs, e.Mesh.Close())
	}
	if e.Istiod != nil {
		errs = append(errs, e.Istiod.Close())
	}
	if e.Prometheus != nil {
		errs = append(errs, e.Prometheus.Close())
	}
	for _, c := range e.Clusters {
		errs = append(errs, c.Close())
	}
	if e.Registry != nil {
		errs = append(errs, e.Registry.Close())
	}
	_ = errors.Join(errs...)
}

// writeEnvFile writes a file a shell can source to reach the environment.
func (e *env) writeEnvFile(path string, extra map[string]string) error {
	var b strings.Builder
	b.WriteString("# The aviary demo's environment; source it: . <this file>\n")
	vars := [][2]string{
		{"KUBECONFIG", e.Kubeconfig},
		{"AVIARY_DEMO_REGISTRY", e.Registry.Host},
		{"AVIARY_DEMO_PROMETHEUS_URL", e.Prometheus.URL},
		{"AVIARY_DEMO_METRICS_URL", e.Mesh.URL},
		{"AVIARY_DEMO_ISTIOD_XDS", e.Istiod.GRPCAddr},
	}
	for _, k := range sortedKeys(extra) {
		vars = append(vars, [2]string{k, extra[k]})
	}
	for _, kv := range vars {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
