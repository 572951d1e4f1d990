package canary

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// DeployOptions tunes Deploy.
type DeployOptions struct {
	// InitialWeight is the canary's first share of requests, 0..100.
	InitialWeight int
}

// Deploy puts the plan's changed services beside their stable versions and
// routes InitialWeight percent to them; a service released for the first
// time goes straight to stable with all its traffic. Unchanged services are
// left alone. Traffic moves only once every new Deployment is ready: a
// Deployment that does not become ready fails the step with no route
// changed. Re-running Deploy for a service already in canary keeps the
// weight it has.
func Deploy(ctx context.Context, e *Env, l *plan.Loaded, opts DeployOptions) (Result, error) {
	if err := traffic.CheckWeight(opts.InitialWeight); err != nil {
		return Result{}, fmt.Errorf("initial-weight: %w", err)
	}
	releases, states, err := e.load(ctx, l)
	if err != nil {
		return Result{}, err
	}
	var apply []*unstructured.Unstructured
	var images, wait []string
	rows := make([]Row, len(releases))
	for i, r := range releases {
		st := states[r.Service]
		status := Classify(r, st)
		rows[i] = e.row(r, st, status)
		switch status {
		case First, Changed, InCanary:
			apply = append(apply, r.Shared...)
			apply = append(apply, r.Deployment)
			images = append(images, r.Image)
			wait = append(wait, r.Deployment.GetName())
		}
	}
	if len(apply) == 0 {
		return Result{Rows: rows}, nil
	}
	if e.Images != nil {
		if err := e.Images.Check(ctx, images); err != nil {
			return Result{}, fmt.Errorf("checking images before deploying: %w", err)
		}
	}
	e.progress("applying %d objects for %d services", len(apply), len(wait))
	if err := e.Kube.ApplyAll(ctx, apply, e.Parallel); err != nil {
		return Result{}, err
	}
	e.progress("waiting for %d Deployments to become ready", len(wait))
	if err := e.wait(ctx, e.Place.Canary.Namespace, wait); err != nil {
		return Result{}, fmt.Errorf("%w; no traffic was shifted", err)
	}
	err = each(ctx, e, indexes(rows), func(ctx context.Context, i int) error {
		return e.deployRoute(ctx, l.Ref, releases[i], states[releases[i].Service], opts, &rows[i])
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Rows: rows}, nil
}

// deployRoute routes one service once its new version is ready.
func (e *Env) deployRoute(ctx context.Context, planRef string, r Release, st *ServiceState, opts DeployOptions, row *Row) error {
	_, c := e.Place.Destinations(r.Service)
	switch row.Status {
	case First:
		if err := e.subsets(ctx, r.Service, r.Version, ""); err != nil {
			return err
		}
		row.Stable, row.Canary, row.Weight = r.Version, "", 0
		return e.route(ctx, r.Service, 0, false, map[string]string{
			RecordStable: r.Version, RecordCanary: "", RecordPrevious: "", RecordWeight: "", RecordPhase: PhaseStable, RecordPlan: planRef,
		})
	case Changed, InCanary:
		stable := st.Stable()
		weight := opts.InitialWeight
		if row.Status == InCanary {
			weight = st.Weight(c)
		}
		old := st.Canary()
		if err := e.subsets(ctx, r.Service, stable, r.Version); err != nil {
			return err
		}
		err := e.route(ctx, r.Service, weight, true, map[string]string{
			RecordStable: stable, RecordCanary: r.Version, RecordWeight: itoa(weight), RecordPhase: PhaseCanary, RecordPlan: planRef,
		})
		if err != nil {
			return err
		}
		row.Canary, row.Weight = r.Version, weight
		if old != "" && old != r.Version && old != stable && old != st.Previous() {
			// A canary of an earlier release that never got promoted: the
			// new one replaced it in the canary subset.
			return e.prune(ctx, st, stable, r.Version, st.Previous())
		}
	}
	return nil
}

// row reports a service as the cluster has it.
func (e *Env) row(r Release, st *ServiceState, status Status) Row {
	_, c := e.Place.Destinations(r.Service)
	row := Row{Service: r.Service, Status: status, Stable: st.Stable(), Canary: st.Canary()}
	if row.Canary != "" {
		row.Weight = st.Weight(c)
	}
	return row
}

// load renders the plan's services for the workload namespace and reads
// where each stands.
func (e *Env) load(ctx context.Context, l *plan.Loaded) ([]Release, map[string]*ServiceState, error) {
	releases, err := RenderAll(l, e.Place.Canary.Namespace)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(releases))
	for i, r := range releases {
		names[i] = r.Service
	}
	states, err := e.snapshot(ctx, names)
	if err != nil {
		return nil, nil, err
	}
	return releases, states, nil
}

func indexes[T any](s []T) []int {
	out := make([]int, len(s))
	for i := range s {
		out[i] = i
	}
	return out
}
