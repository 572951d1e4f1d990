package canary

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// Mesh is what the operations need from a service mesh: set and read
// weights, set subsets, and read every route of a namespace at once.
type Mesh interface {
	traffic.Router
	traffic.SubsetSetter
	Snapshot(ctx context.Context, namespace string) (map[string]traffic.Route, map[string][]traffic.Subset, error)
}

// Gate is consulted between the steps of a weight schedule, once traffic
// at weight has had its pause. A nil error lets the schedule go on; an
// error sends all traffic back to stable and fails the step as a negative
// outcome. The metric analysis (package analysis) implements it.
type Gate interface {
	Check(ctx context.Context, weight int) error
}

// ImageChecker verifies that pinned images exist before anything that
// runs them is applied.
type ImageChecker interface {
	// Check returns an Invalid error listing every image that does not
	// exist, or an External one when the registry cannot tell.
	Check(ctx context.Context, images []string) error
}

// Env is where operations act and how they report.
type Env struct {
	Kube  *kube.Clients
	Mesh  Mesh
	Place topology.Placement
	// Progress, when set, receives one line per thing worth telling a
	// person while waiting ("cart-v1-2-0 2/3 ready").
	Progress func(string)
	// Images, when set, checks images before they are deployed.
	Images ImageChecker
	// Parallel bounds concurrent API requests; 0 means 16.
	Parallel int
	// Timeout bounds each wait for Deployments; 0 means 5 minutes.
	Timeout time.Duration
	// Sleep waits between steps; nil sleeps for real (and stops early when
	// ctx is done).
	Sleep func(ctx context.Context, d time.Duration) error
}

func (e *Env) progress(format string, args ...any) {
	if e.Progress != nil {
		e.Progress(sprintf(format, args...))
	}
}

func (e *Env) namespace() string { return e.Place.Route.Namespace }

func (e *Env) routeOf(service string) traffic.Service {
	return traffic.Service{Cluster: e.Place.Route.Cluster, Namespace: e.Place.Route.Namespace, Name: service}
}

func (e *Env) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// each runs fn for every item, Parallel at a time, and returns the first
// error.
func each[T any](ctx context.Context, e *Env, items []T, fn func(context.Context, T) error) error {
	n := e.Parallel
	if n <= 0 {
		n = 16
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for _, it := range items {
		g.Go(func() error { return fn(ctx, it) })
	}
	return g.Wait()
}

// wait waits for the named Deployments of the workload namespace.
func (e *Env) wait(ctx context.Context, namespace string, names []string) error {
	return e.Kube.WaitReady(ctx, namespace, names, kube.WaitOptions{
		Timeout: e.Timeout,
		Progress: func(r kube.Readiness) {
			e.progress("%s", r)
		},
	})
}
