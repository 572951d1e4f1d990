package canary

import (
	"context"
	"fmt"
	"strings"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
)

// rebuildInPlace is Rebuild for a placement whose release side serves while
// it is rebuilt (topology.Placement.RebuildsInPlace: the stable side of a
// topology with a canary side, such as the release cluster of
// gateway-routed-clusters closing a release). Every service of the plan is applied to the
// release side beside what runs there, and all must be ready before any
// route moves; the gate, if any, is asked then. Each service's stable
// subset, at every route place, then selects the plan's version with all
// of the service's traffic, the version it selected before is kept passive
// with PassiveReplicas and anything older goes, and the record says so.
// Nothing is switched between clusters: the canary side keeps serving what
// the next canaries put there. A service with a canary in flight is
// refused before anything is applied: promote or roll it back first.
// Re-running converges; a run cut short leaves every route on a ready
// version.
func rebuildInPlace(ctx context.Context, e *Env, l *plan.Loaded, opts RebuildOptions) (Rebuilt, error) {
	if opts.PassiveReplicas < 0 {
		return Rebuilt{}, outcome.Invalidf("passive-replicas %d: give 0 or more", opts.PassiveReplicas)
	}
	rel, err := e.load(ctx, l)
	if err != nil {
		return Rebuilt{}, err
	}
	var inFlight []string
	roll := &rollout{side: rel.stable}
	for i, r := range rel.services {
		if c := rel.rows[i].Canary; c != "" {
			inFlight = append(inFlight, fmt.Sprintf("%s (canary %s at %d%%)", r.Service, c, rel.rows[i].Weight))
		}
		roll.add(r)
		if err := addIngress(roll, r, rel.routing); err != nil {
			return Rebuilt{}, err
		}
	}
	if len(inFlight) > 0 {
		return Rebuilt{}, outcome.Invalidf("services with a canary in flight: %s; promote or roll them back before rebuilding %s", strings.Join(inFlight, ", "), rel.stable)
	}
	e.progress("rebuilding %s from %s in place", rel.stable.Location, l.Plan.Version)
	if err := e.roll(ctx, roll); err != nil {
		return Rebuilt{}, fmt.Errorf("%w; no route was moved", err)
	}
	if err := e.refresh(ctx, rel, rel.stable); err != nil {
		return Rebuilt{}, err
	}
	out := Rebuilt{Active: rel.stable.Name(rel.canary), Result: Result{Rows: rel.rows}}
	if err := e.gateRebuilt(ctx, opts.Gate, rel.stable, rel.canary, &out); err != nil {
		return out, err
	}
	e.progress("moving %d services to %s in %s", len(rel.services), l.Plan.Version, rel.stable.Location)
	err = each(ctx, e, indexes(rel.services), func(ctx context.Context, i int) error {
		return e.rebuildService(ctx, rel, i, int32(opts.PassiveReplicas))
	})
	out.Result = Result{Rows: rel.rows}
	return out, err
}

// rebuildService moves one service's stable subset to the plan's version,
// which runs ready on the stable side, and keeps the version it replaces
// passive.
func (e *Env) rebuildService(ctx context.Context, rel *release, i int, passive int32) error {
	r, row := rel.services[i], &rel.rows[i]
	st := rel.states[r.Service]
	previous := st.Stable(rel.stable)
	if previous == r.Version || previous == "" {
		previous = st.Record.Previous
	}
	if err := e.ensureReady(ctx, st, rel.stable, r.Version); err != nil {
		return fmt.Errorf("rebuilding %s: %w", r.Service, err)
	}
	if err := e.apply(ctx, st, rel.routing.stable(r.Service, label(r.Version))); err != nil {
		return err
	}
	if err := e.save(ctx, st, rel.record(st, PhaseStable, r.Version, "", previous)); err != nil {
		return err
	}
	row.Stable, row.Canary, row.Weight, row.Status = r.Version, "", 0, "rebuilt"
	if err := e.keepPassive(ctx, rel, st, r.Version, previous, passive, row); err != nil {
		return err
	}
	return e.prune(ctx, st, rel.stable, r.Version, previous)
}
