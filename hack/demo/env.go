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
// one Kubernetes control plane with Istio's CRDs, istiod, the workload
// simulator (devenv.Mesh: a gRPC server per pod, callers routed by istiod)
// and Prometheus scraping the Istio metrics of its real requests.
type env struct {
	Registry   *devenv.Registry
	Cluster    *devenv.Cluster
	Istiod     *devenv.Istiod
	Mesh       *devenv.Mesh
	Prometheus *devenv.Prometheus
	Dynamic    dynamic.Interface
	Traffic    *traffic
}

// startEnv starts everything; on error nothing is left running.
func startEnv(ctx context.Context, out io.Writer) (_ *env, err error) {
	if err := ensureTools(ctx, out); err != nil {
		return nil, err
	}
	e := &env{}
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
		c, err := devenv.NewCluster(gctx, devenv.ClusterOptions{})
		e.Cluster = c
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
	if e.Dynamic, err = dynamic.NewForConfig(e.Cluster.RESTConfig()); err != nil {
		return nil, fmt.Errorf("creating a dynamic client: %w", err)
	}
	if err := e.Mesh.Watch(ctx, e.Cluster); err != nil {
		return nil, fmt.Errorf("starting the workload simulator: %w", err)
	}
	if e.Istiod, err = devenv.NewIstiod(ctx, e.Cluster, devenv.IstiodOptions{Env: []string{"PILOT_DEBOUNCE_AFTER=10ms"}}); err != nil {
		return nil, err
	}

	fmt.Fprintf(out, "  registry    %s (CNCF Distribution, in this process)\n", e.Registry.Host)
	fmt.Fprintf(out, "  cluster     %s at %s: etcd, kube-apiserver, controller-manager, scheduler, kwok; Istio CRDs\n", e.Cluster.Name, e.Cluster.Server)
	fmt.Fprintf(out, "  istiod      xDS at %s (pilot-discovery, no TLS)\n", e.Istiod.GRPCAddr)
	fmt.Fprintf(out, "  workloads   a gRPC server per pod on loopback; Istio metrics at %s\n", e.Mesh.URL)
	fmt.Fprintf(out, "  prometheus  %s, scraping those metrics every %s\n", e.Prometheus.URL, e.Prometheus.ScrapeInterval)
	fmt.Fprintf(out, "  started in %s\n", since(start))
	return e, nil
}

// startTraffic creates the release's namespaces (the route's first) and
// readies the callers of its services, which start once the services
// exist (see traffic.start).
func (e *env) startTraffic(ctx context.Context, out io.Writer, namespaces []string, services []string) error {
	for _, ns := range namespaces {
		if err := e.Cluster.EnsureNamespace(ctx, ns); err != nil {
			return err
		}
	}
	e.Traffic = newTraffic(e.Mesh, e.Istiod, namespaces[0], services)
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
	if e.Cluster != nil {
		errs = append(errs, e.Cluster.Close())
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
		{"KUBECONFIG", e.Cluster.Kubeconfig},
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
