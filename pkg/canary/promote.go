package canary

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// PromoteOptions tunes Promote.
type PromoteOptions struct {
	// PassiveReplicas is how many replicas the previous version keeps on
	// the stable side so that a rollback after promotion is instant; 0
	// scales it to zero.
	PassiveReplicas int
	// Gate, when set, judges the canaries once more at the weight they
	// have before anything is promoted; a failure sends all traffic back
	// to stable and fails as Negative.
	Gate Gate
}

// Promote makes every canary of the plan's release stable. Where the
// canary runs on a side of its own, the new versions are first rolled out
// on the stable side, every one of them ready before any traffic moves.
// Then the stable side's subset selects the new version and all traffic
// goes to the stable side; the previous version is kept passive with
// PassiveReplicas, the canary side's copy and anything older are removed.
// Services already promoted are brought to the same end state, so
// promoting twice is the same as once.
func Promote(ctx context.Context, e *Env, l *plan.Loaded, opts PromoteOptions) (Result, error) {
	if opts.PassiveReplicas < 0 {
		return Result{}, outcome.Invalidf("passive-replicas %d: give 0 or more", opts.PassiveReplicas)
	}
	if e.Place.SteppedSwitch() {
		return e.promoteSwitch(ctx, l, opts)
	}
	rel, err := e.load(ctx, l)
	if err != nil {
		return Result{}, err
	}
	var todo []int
	var missing []string
	roll := &rollout{side: rel.stable}
	for i, r := range rel.services {
		st := rel.states[r.Service]
		switch rel.rows[i].Status {
		case InCanary, IsStable:
			todo = append(todo, i)
			if !rel.sameSide() && st.Deployment(rel.stable, r.Version) == nil {
				roll.add(r)
				if err := addIngress(roll, r, rel.routing); err != nil {
					return Result{}, err
				}
			}
		case Changed, First:
			missing = append(missing, fmt.Sprintf("%s (stable %s)", r.Service, dash(rel.rows[i].Stable)))
		}
	}
	if len(missing) > 0 {
		return Result{}, outcome.Invalidf("services without a canary of %s: %s; run deploy-canary with this plan first", l.Plan.Version, strings.Join(missing, ", "))
	}
	if err := e.gatePromotion(ctx, rel, opts.Gate); err != nil {
		return Result{Rows: rel.rows}, err
	}
	if len(roll.wait) > 0 {
		e.progress("rolling %d new versions out in %s before traffic moves to them", len(roll.wait), rel.stable)
		if err := e.roll(ctx, roll); err != nil {
			return Result{Rows: rel.rows}, fmt.Errorf("rolling the new versions out in %s: %w; nothing was promoted", rel.stable, err)
		}
		if err := e.refresh(ctx, rel, rel.stable); err != nil {
			return Result{Rows: rel.rows}, err
		}
	}
	// Traffic moves first, for every service; the previous versions are
	// retired after. Scaling a Deployment down sets the cluster's
	// controllers to work (ReplicaSets, Pods, EndpointSlices), which would
	// otherwise compete with the route writes for the API server. A
	// promote killed between the two passes finds the services promoted
	// and retires their previous versions on the re-run.
	err = each(ctx, e, todo, func(ctx context.Context, i int) error {
		return e.promote(ctx, rel, rel.services[i], &rel.rows[i])
	})
	if err != nil {
		return Result{Rows: rel.rows}, err
	}
	err = each(ctx, e, todo, func(ctx context.Context, i int) error {
		return e.retire(ctx, rel, rel.services[i], int32(opts.PassiveReplicas), &rel.rows[i])
	})
	return Result{Rows: rel.rows}, err
}

// promote moves all of a service's traffic to r's version on the stable
// side and records it, with the version it replaced as the record's
// Previous (kept passive by retire).
func (e *Env) promote(ctx context.Context, rel *release, r Release, row *Row) error {
	st := rel.states[r.Service]
	if row.Status == InCanary {
		previous := st.Stable(rel.stable)
		if err := e.ensureReady(ctx, st, rel.stable, r.Version); err != nil {
			return fmt.Errorf("promoting %s: %w", r.Service, err)
		}
		e.progress("%s: promoting %s over %s", r.Service, r.Version, previous)
		// The record keeps saying canary (stable previous, canary
		// r.Version) until the routes are done: a promote killed between
		// them finds the service in canary again and redoes the same
		// writes, so a record of "promoting" would tell it nothing.
		for _, s := range rel.routing.promote(r.Service, label(r.Version)) {
			if err := e.apply(ctx, st, s); err != nil {
				return err
			}
		}
		if err := e.save(ctx, st, rel.record(st, PhasePromoted, r.Version, "", previous)); err != nil {
			return err
		}
	} else if err := e.apply(ctx, st, rel.routing.stable(r.Service, label(r.Version))); err != nil {
		// Promoted, but possibly killed before the canary's subsets went.
		return err
	}
	row.Stable, row.Canary, row.Weight = r.Version, "", 0
	return nil
}

// retire leaves a promoted service's previous version (its record's
// Previous) passive and removes what no longer serves: the canary side's
// copies and anything older.
func (e *Env) retire(ctx context.Context, rel *release, r Release, passive int32, row *Row) error {
	st := rel.states[r.Service]
	previous := st.Record.Previous
	// The promoted Deployment carries no role, as a first release's and a
	// canary's do: one that had a role (retired by a rollback, say) loses
	// it; one without is not written.
	if err := e.keepPassive(ctx, rel, st, r.Version, previous, passive, row); err != nil {
		return err
	}
	if !rel.sameSide() {
		if err := e.prune(ctx, st, rel.canary); err != nil {
			return err
		}
		if err := e.dropRemotes(ctx, rel, st, r, rel.routing.stable(r.Service, label(r.Version))); err != nil {
			return err
		}
	}
	return e.prune(ctx, st, rel.stable, r.Version, previous)
}

// refresh re-reads aviary's Deployments on side into the states.
func (e *Env) refresh(ctx context.Context, rel *release, side topology.Side) error {
	list, err := e.deployments(ctx, side.Location)
	if err != nil {
		return err
	}
	for _, st := range rel.states {
		st.Workloads[side.Role] = map[string]*appsv1.Deployment{}
	}
	for i := range list {
		d := &list[i]
		if st, ok := rel.states[d.Labels[LabelService]]; ok {
			st.Workloads[side.Role][d.Annotations[AnnotationVersion]] = d
		}
	}
	return nil
}

// gatePromotion asks the gate about the canaries still in canary, at the
// lowest weight they have.
func (e *Env) gatePromotion(ctx context.Context, rel *release, gate Gate) error {
	var canaries []int
	weight := 100
	for i, row := range rel.rows {
		if row.Status == InCanary {
			canaries = append(canaries, i)
			weight = min(weight, row.Weight)
		}
	}
	if gate == nil || len(canaries) == 0 {
		return nil
	}
	err := gate.Check(ctx, weight)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if back := e.setCanaryWeight(context.WithoutCancel(ctx), rel, canaries, 0); back != nil {
		return fmt.Errorf("analysis failed before promotion: %w; sending traffic back to stable failed too: %w", err, back)
	}
	return outcome.Negative(fmt.Errorf("analysis failed before promotion at %d%%: %w; all traffic is back on stable, nothing was promoted", weight, err))
}

// keepPassive leaves version, now serving on the stable side, without a
// role (written only when it had one) and keeps previous there passive
// with that many replicas, saying so in row.
func (e *Env) keepPassive(ctx context.Context, rel *release, st *ServiceState, version, previous string, passive int32, row *Row) error {
	if d := st.Deployment(rel.stable, version); d != nil {
		if err := e.scale(ctx, rel.stable, d, *d.Spec.Replicas, ""); err != nil {
			return err
		}
	}
	if d := st.Deployment(rel.stable, previous); d != nil && previous != version {
		if err := e.scale(ctx, rel.stable, d, passive, DeploymentPassive); err != nil {
			return err
		}
		row.Note = fmt.Sprintf("%s passive with %d replicas", previous, passive)
	}
	return nil
}
