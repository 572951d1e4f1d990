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
// one Kubernetes control plane with Istio's CRDs, and Prometheus scraping
// synthetic Istio telemetry that follows the cluster's routes.
type env struct {
	Registry   *devenv.Registry
	Cluster    *devenv.Cluster
	Telemetry  *devenv.Telemetry
	Prometheus *devenv.Prometheus
	Dynamic    dynamic.Interface
	Mesh       *mesh
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
	if e.Telemetry, err = devenv.NewTelemetry(ctx); err != nil {
		return nil, fmt.Errorf("starting the telemetry endpoint: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		c, err := devenv.NewCluster(gctx, devenv.ClusterOptions{})
		e.Cluster = c
		return err
	})
	g.Go(func() error {
		p, err := devenv.NewPrometheus(gctx, devenv.PrometheusOptions{Targets: []string{e.Telemetry.Target}})
		e.Prometheus = p
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("starting the environment: %w", err)
	}
	if e.Dynamic, err = dynamic.NewForConfig(e.Cluster.RESTConfig()); err != nil {
		return nil, fmt.Errorf("creating a dynamic client: %w", err)
	}

	fmt.Fprintf(out, "  registry    %s (CNCF Distribution, in this process)\n", e.Registry.Host)
	fmt.Fprintf(out, "  cluster     %s at %s: etcd, kube-apiserver, controller-manager, scheduler, kwok; Istio CRDs\n", e.Cluster.Name, e.Cluster.Server)
	fmt.Fprintf(out, "  prometheus  %s, scraping synthetic Istio telemetry every %s\n", e.Prometheus.URL, e.Prometheus.ScrapeInterval)
	fmt.Fprintf(out, "  started in %s\n", since(start))
	return e, nil
}

// startMesh creates the release's namespaces (the route's first) and
// starts the synthetic traffic of its services.
func (e *env) startMesh(ctx context.Context, out io.Writer, namespaces []string) error {
	for _, ns := range namespaces {
		if err := e.Cluster.EnsureNamespace(ctx, ns); err != nil {
			return err
		}
	}
	e.Mesh = startMesh(ctx, e.Cluster.Client(), e.Dynamic, e.Telemetry, namespaces)
	fmt.Fprintf(out, "  mesh        synthetic traffic in namespaces %s: %d requests/s per service, split as the VirtualServices in %s say\n",
		strings.Join(namespaces, ", "), meshRPS, namespaces[0])
	return nil
}

// Close stops everything that was started.
func (e *env) Close() {
	if e.Mesh != nil {
		e.Mesh.Stop()
	}
	var errs []error
	if e.Prometheus != nil {
		errs = append(errs, e.Prometheus.Close())
	}
	if e.Cluster != nil {
		errs = append(errs, e.Cluster.Close())
	}
	if e.Telemetry != nil {
		errs = append(errs, e.Telemetry.Close())
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
		{"AVIARY_DEMO_TELEMETRY_URL", e.Telemetry.URL},
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
