package canary

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// RebuildOptions tunes Rebuild.
type RebuildOptions struct {
	// Passive is the namespace of the side to rebuild: one of the
	// topology's stable and passive sides, and not the one serving.
	Passive string
	// Switch sends all traffic to the rebuilt side once it is ready.
	Switch bool
}

// Rebuilt says which side serves after Rebuild, by namespace.
type Rebuilt struct {
	Active, Passive string
	Result
}

// Rebuild is the blue/green of a topology with a passive side: it applies
// every service of the plan to the passive side, waits until all are
// ready, removes what the plan no longer runs there, and with Switch
// routes all of each service's requests to the rebuilt side, recording it
// as the active one. The route stays where the topology placed it, so
// that clients keep one address whichever side serves.
func Rebuild(ctx context.Context, e *Env, l *plan.Loaded, opts RebuildOptions) (Rebuilt, error) {
	target, other, err := rebuildSides(e.Place, opts.Passive)
	if err != nil {
		return Rebuilt{}, err
	}
	releases, err := RenderAll(l, target.Namespace)
	if err != nil {
		return Rebuilt{}, err
	}
	names := make([]string, len(releases))
	for i, r := range releases {
		names[i] = r.Service
	}
	states, err := e.snapshot(ctx, names, target, other)
	if err != nil {
		return Rebuilt{}, err
	}
	serving, released := servingSide(e.Place, names, states)
	if released && serving.Role == target.Role && !resuming(target, releases, states) {
		return Rebuilt{}, outcome.Invalidf("namespace %q serves traffic now: rebuild the passive one, %q", target.Namespace, other.Namespace)
	}
	if !released {
		serving = other
	}
	roll := &rollout{side: target}
	for _, r := range releases {
		roll.add(r)
	}
	e.progress("rebuilding %s from %s", target, l.Plan.Version)
	if err := e.roll(ctx, roll); err != nil {
		return Rebuilt{}, fmt.Errorf("%w; traffic was not switched", err)
	}
	rel := &release{plan: l, states: states}
	if err := e.refresh(ctx, rel, target); err != nil {
		return Rebuilt{}, err
	}
	rows := make([]Row, len(releases))
	for i, r := range releases {
		rows[i] = Row{Service: r.Service, Status: "rebuilt", Canary: r.Version}
		if err := e.prune(ctx, states[r.Service], target, r.Version); err != nil {
			return Rebuilt{}, err
		}
	}
	out := Rebuilt{Active: serving.Namespace, Passive: target.Namespace, Result: Result{Rows: rows}}
	if !opts.Switch {
		return out, nil
	}
	strategy, err := e.switchStrategy(target, other)
	if err != nil {
		return out, err
	}
	err = each(ctx, e, indexes(releases), func(ctx context.Context, i int) error {
		return e.switchTo(ctx, rel, states[releases[i].Service], releases[i], strategy, target, &rows[i])
	})
	if err != nil {
		return out, err
	}
	return Rebuilt{Active: target.Namespace, Passive: other.Namespace, Result: Result{Rows: rows}}, nil
}

// rebuildSides finds the side to rebuild, the one whose namespace is
// passive, and the other one, among the placement's stable and passive
// sides.
func rebuildSides(place topology.Placement, passive string) (target, other topology.Side, err error) {
	stable, _ := place.Part(config.PartStable)
	side, ok := place.Part(config.PartPassive)
	if !ok {
		return target, other, outcome.Invalidf("topology %s has no passive side to rebuild", place.Kind)
	}
	switch passive {
	case stable.Namespace:
		return stable, side, nil
	case side.Namespace:
		return side, stable, nil
	}
	return target, other, outcome.Invalidf("namespace %q is not a side of the %s topology: give %q or %q", passive, place.Kind, stable.Namespace, side.Namespace)
}

// servingSide is the side serving now: the one the services' records name,
// else the topology's stable side once anything was released. released is
// false before the first release.
func servingSide(place topology.Placement, names []string, states map[string]*ServiceState) (serving topology.Side, released bool) {
	serving, _ = place.Part(config.PartStable)
	for _, n := range names {
		rec := states[n].Record
		if a := rec.Active; a != "" {
			if s, ok := place.Side(config.Role(a)); ok {
				serving = s
			}
			return serving, true
		}
		released = released || rec.Stable != ""
	}
	return serving, released
}

// resuming says whether a rebuild into target is this plan's own switch,
// stopped halfway (a killed run): every service recorded as served by
// target serves there the plan's version. Re-running it finishes the
// switch; a target that serves another release is refused.
func resuming(target topology.Side, releases []Release, states map[string]*ServiceState) bool {
	for _, r := range releases {
		if rec := states[r.Service].Record; rec.Active == string(target.Role) && rec.Stable != r.Version {
			return false
		}
	}
	return true
}

// switchTo routes all of one rebuilt service's requests to the target side
// and records it there as stable and active.
func (e *Env) switchTo(ctx context.Context, rel *release, st *ServiceState, r Release, strategy topology.Strategy, target topology.Side, row *Row) error {
	if err := e.apply(ctx, st, topology.StableState(strategy, r.Service, label(r.Version))); err != nil {
		return err
	}
	rec := rel.record(st, PhaseStable, r.Version, "", st.Record.Stable)
	if rec.Previous == r.Version {
		rec.Previous = st.Record.Previous
	}
	rec.Active = string(target.Role)
	if err := e.save(ctx, st, rec); err != nil {
		return err
	}
	row.Stable, row.Canary, row.Status = r.Version, "", "switched"
	return nil
}
