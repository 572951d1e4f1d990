package canary

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aviary-cd/aviary/pkg/clock"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// Clusters connects to the clusters a placement names, by kubeconfig
// context; "" is the step's own. *kube.Resolver implements it.
type Clusters interface {
	Clients(ctx context.Context, kubeContext string) (*kube.Clients, error)
}

// Mesh is what the operations need from a service mesh in one cluster:
// set and read weights, set subsets, and read every route of a namespace
// at once.
type Mesh interface {
	traffic.Router
	traffic.SubsetSetter
	Snapshot(ctx context.Context, namespace string) (map[string]traffic.Route, map[string][]traffic.Subset, error)
}

// MeshFactory returns the Mesh of one cluster.
type MeshFactory func(c *kube.Clients) (Mesh, error)

// Istio is the MeshFactory of Istio, the one mesh aviary routes with.
func Istio(c *kube.Clients) (Mesh, error) { return istio.ForClients(c) }

// Records keeps the record of where each service of a release stands (see
// Record), apart from the route objects.
type Records interface {
	// Load returns the record of every service that has one.
	Load(ctx context.Context) (map[string]Record, error)
	// Save replaces the record of service; saving what is stored writes
	// nothing.
	Save(ctx context.Context, service string, r Record) error
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

// Env is where operations act and how they report. NewEnv makes one; Open
// makes one for a step.
type Env struct {
	Place    topology.Placement
	Clusters Clusters
	// Mesh builds the router of each cluster; nil is Istio.
	Mesh MeshFactory
	// Records keeps the release's record; nil keeps it in ConfigMaps of
	// the placement's home namespace (see ConfigMapRecords).
	Records Records
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

	mu      sync.Mutex
	meshes  map[string]Mesh
	records Records
	// serving is the role of the side serving the release when its
	// records say (see follow); empty: the placement's stable side.
	serving config.Role
}

// NewEnv returns an Env acting on place through clusters.
func NewEnv(place topology.Placement, clusters Clusters) *Env {
	return &Env{Place: place, Clusters: clusters}
}

// clients returns the clients of a kubeconfig context.
func (e *Env) clients(ctx context.Context, kubeContext string) (*kube.Clients, error) {
	c, err := e.Clusters.Clients(ctx, kubeContext)
	return c, e.in(kubeContext, err)
}

// in names the cluster of kubeContext in err when the placement spans
// several clusters, so that a step failing in one of them says which.
func (e *Env) in(kubeContext string, err error) error {
	if err == nil || kubeContext == "" || !e.Place.Spans() {
		return err
	}
	var named *inCluster
	if errors.As(err, &named) {
		return err
	}
	return &inCluster{kubeContext, err}
}

// inCluster is an error in one cluster of several.
type inCluster struct {
	context string
	err     error
}

func (e *inCluster) Error() string { return "in cluster " + e.context + ": " + e.err.Error() }
func (e *inCluster) Unwrap() error { return e.err }

// mesh returns the router of a kubeconfig context's cluster, one per
// context for the Env's life (a router keeps what it listed as the base of
// its next write).
func (e *Env) mesh(ctx context.Context, kubeContext string) (Mesh, error) {
	c, err := e.clients(ctx, kubeContext)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if m, ok := e.meshes[kubeContext]; ok {
		return m, nil
	}
	f := e.Mesh
	if f == nil {
		f = Istio
	}
	if e.meshes == nil {
		e.meshes = map[string]Mesh{}
	}
	m, err := f(c)
	if err != nil {
		return nil, e.in(kubeContext, err)
	}
	e.meshes[kubeContext] = m
	return m, nil
}

// store returns the release's record store.
func (e *Env) store(ctx context.Context) (Records, error) {
	if e.Records != nil {
		return e.Records, nil
	}
	home := e.Place.Home()
	c, err := e.clients(ctx, home.Context)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.records == nil {
		e.records = &ConfigMapRecords{Client: c.Kube, Namespace: home.Namespace}
	}
	return e.records, nil
}

func (e *Env) progress(format string, args ...any) {
	if e.Progress != nil {
		e.Progress(fmt.Sprintf(format, args...))
	}
}

func (e *Env) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	return clock.Sleep(ctx, d)
}

func (e *Env) parallel() int {
	if e.Parallel <= 0 {
		return 16
	}
	return e.Parallel
}

// each runs fn for every item, Parallel at a time, and returns the first
// error.
func each[T any](ctx context.Context, e *Env, items []T, fn func(context.Context, T) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.parallel())
	for _, it := range items {
		g.Go(func() error { return fn(ctx, it) })
	}
	return g.Wait()
}

// wait waits for the named Deployments of a side.
func (e *Env) wait(ctx context.Context, at topology.Location, names []string) error {
	if len(names) == 0 {
		return nil
	}
	c, err := e.clients(ctx, at.Context)
	if err != nil {
		return err
	}
	return e.in(at.Context, c.WaitReady(ctx, at.Namespace, names, kube.WaitOptions{
		Timeout: e.Timeout,
		Progress: func(r kube.Readiness) {
			e.progress("%s", r)
		},
		Notice: func(s string) { e.progress("%s", s) },
	}))
}
