package canary

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// DeployOptions tunes Deploy.
type DeployOptions struct {
	// InitialWeight is the canary's first share of requests, 0..100.
	InitialWeight int
}

// Deploy puts the plan's changed services on the canary side (beside their
// stable versions, or in the canary namespace, overriding what an earlier
// canary left there) and routes InitialWeight percent to them; a service
// released for the first time goes straight to the stable side with all
// its traffic. Unchanged services are left alone. Traffic moves only once
// every new Deployment is ready: a Deployment that does not become ready
// fails the step with no route changed. Re-running Deploy for a service
// already in canary keeps the weight it has. A canary side rebuilt for
// every release (rebuilt-canary-cluster) loses the services the plan no
// longer has, each routed back to its stable version first.
func Deploy(ctx context.Context, e *Env, l *plan.Loaded, opts DeployOptions) (Result, error) {
	if err := traffic.CheckWeight(opts.InitialWeight); err != nil {
		return Result{}, fmt.Errorf("initial-weight: %w", err)
	}
	if e.Place.SteppedSwitch() {
		return e.deploySwitch(ctx, l, opts.InitialWeight)
	}
	rel, err := e.load(ctx, l)
	if err != nil {
		return Result{}, err
	}
	dropped, err := e.dropCanaries(ctx, rel)
	if err != nil {
		return Result{}, err
	}
	first, canaries := &rollout{side: rel.stable}, &rollout{side: rel.canary}
	var todo []int
	for i, r := range rel.services {
		switch rel.rows[i].Status {
		case First:
			first.add(r)
			if err := addIngress(first, r, rel.routing); err != nil {
				return Result{}, err
			}
		case Changed, InCanary:
			cr, err := rel.forCanary(r)
			if err != nil {
				return Result{}, err
			}
			canaries.add(cr)
			if err := addIngress(canaries, cr, rel.routing); err != nil {
				return Result{}, err
			}
		default:
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return Result{Rows: append(rel.rows, dropped...)}, nil
	}
	if err := e.roll(ctx, first, canaries); err != nil {
		return Result{}, fmt.Errorf("%w; no traffic was shifted", err)
	}
	err = each(ctx, e, todo, func(ctx context.Context, i int) error {
		return e.deployRoute(ctx, rel, rel.services[i], opts, &rel.rows[i])
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Rows: append(rel.rows, dropped...)}, nil
}

// deployRoute routes one service once its new version is ready.
func (e *Env) deployRoute(ctx context.Context, rel *release, r Release, opts DeployOptions, row *Row) error {
	st := rel.states[r.Service]
	if row.Status == First {
		if err := e.apply(ctx, st, rel.routing.stable(r.Service, label(r.Version))); err != nil {
			return err
		}
		row.Stable, row.Canary, row.Weight = r.Version, "", 0
		return e.save(ctx, st, rel.record(st, PhaseStable, r.Version, "", ""))
	}
	stable, previous, old := st.Stable(rel.stable), st.Record.Previous, st.Record.Canary
	weight := opts.InitialWeight
	if row.Status == InCanary {
		weight = e.canaryWeight(st, rel.routing)
	}
	if err := e.apply(ctx, st, rel.routing.canary(r.Service, label(stable), label(r.Version), weight)); err != nil {
		return err
	}
	if err := e.save(ctx, st, rel.record(st, PhaseCanary, stable, r.Version, previous)); err != nil {
		return err
	}
	row.Canary, row.Weight = r.Version, weight
	if !rel.sameSide() {
		// The canary side runs this release's canary and nothing else.
		return e.prune(ctx, st, rel.canary, r.Version)
	}
	if old != "" && old != r.Version && old != stable && old != previous {
		// A canary of an earlier release that never got promoted: the
		// new one replaced it in the canary subset.
		return e.prune(ctx, st, rel.stable, stable, r.Version, previous)
	}
	return nil
}
