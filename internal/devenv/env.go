package devenv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Options says what Up starts.
type Options struct {
	// Clusters is the number of clusters ("cluster-1", ...).
	Clusters int
	// ClusterOptions applies to every cluster (Name is a prefix).
	ClusterOptions ClusterOptions
	// Registry starts a plain-HTTP registry; RegistryOptions configures it.
	Registry        bool
	RegistryOptions RegistryOptions
	// Prometheus starts a telemetry source and a Prometheus scraping it.
	Prometheus bool
	// Istiod starts an istiod for every cluster, each reading the other
	// clusters through remote secrets (multi-primary, one network).
	Istiod bool
}

// Env is a running environment. Fields are nil for parts not asked for.
type Env struct {
	Registry   *Registry
	Clusters   []*Cluster
	Telemetry  *Telemetry
	Prometheus *Prometheus
	// Istiods holds the istiod of each cluster, in the order of Clusters.
	Istiods []*Istiod
	// Ready is how long Up took.
	Ready time.Duration
}

// Up starts everything in opts in parallel. On error nothing is left running.
func Up(ctx context.Context, opts Options) (_ *Env, err error) {
	start := time.Now()
	env := &Env{}
	defer func() {
		if err != nil {
			_ = env.Close()
		}
	}()
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	if opts.Registry {
		g.Go(func() error {
			r, err := NewRegistry(gctx, opts.RegistryOptions)
			mu.Lock()
			env.Registry = r
			mu.Unlock()
			return err
		})
	}
	if opts.Clusters > 0 {
		g.Go(func() error {
			cs, err := NewClusters(gctx, opts.Clusters, opts.ClusterOptions)
			mu.Lock()
			env.Clusters = cs
			mu.Unlock()
			return err
		})
	}
	if opts.Prometheus {
		g.Go(func() error {
			tel, err := NewTelemetry(gctx)
			if err != nil {
				return err
			}
			mu.Lock()
			env.Telemetry = tel
			mu.Unlock()
			p, err := NewPrometheus(gctx, PrometheusOptions{Targets: []string{tel.Target}})
			mu.Lock()
			env.Prometheus = p
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("starting the environment: %w", err)
	}
	if opts.Istiod {
		if err := env.startIstiods(ctx); err != nil {
			return nil, fmt.Errorf("starting the environment: %w", err)
		}
	}
	env.Ready = time.Since(start)
	return env, nil
}

// startIstiods starts an istiod per cluster, in parallel, each with the
// other clusters as remotes.
func (e *Env) startIstiods(ctx context.Context) error {
	e.Istiods = make([]*Istiod, len(e.Clusters))
	g, gctx := errgroup.WithContext(ctx)
	for i, c := range e.Clusters {
		var remotes []*Cluster
		for j, r := range e.Clusters {
			if j != i {
				remotes = append(remotes, r)
			}
		}
		g.Go(func() error {
			var err error
			e.Istiods[i], err = NewIstiod(gctx, c, IstiodOptions{Remotes: remotes})
			return err
		})
	}
	return g.Wait()
}

// Close stops everything.
func (e *Env) Close() error {
	var errs []error
	for _, i := range e.Istiods {
		if i != nil {
			errs = append(errs, i.Close())
		}
	}
	for _, c := range e.Clusters {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	if e.Prometheus != nil {
		errs = append(errs, e.Prometheus.Close())
	}
	if e.Telemetry != nil {
		errs = append(errs, e.Telemetry.Close())
	}
	if e.Registry != nil {
		errs = append(errs, e.Registry.Close())
	}
	return errors.Join(errs...)
}
