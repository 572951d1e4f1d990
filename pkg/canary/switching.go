package canary

import (
	"context"
	"fmt"
	"strings"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// beginSwitch begins a stepped switch of the rebuilt services (Rebuild
// with Stepped): each service's route gets both sides, the side serving
// as stable and target, rebuilt and ready, at weight percent, and its
// record says which side it is being switched to. A service that a run
// before already moved further keeps its weight; one with nothing serving
// yet (a first release) goes straight to target.
func (e *Env) beginSwitch(ctx context.Context, rel *release, releases []Release, serving, target topology.Side, weight int, out Rebuilt) (Rebuilt, error) {
	stepped, err := e.switchRouting(serving, target)
	if err != nil {
		return out, err
	}
	toTarget, err := e.switchRouting(target, serving)
	if err != nil {
		return out, err
	}
	rows := out.Rows
	e.progress("beginning a stepped switch of %d services from %s to %s at %d%%", len(releases), serving.Location, target.Location, weight)
	err = each(ctx, e, indexes(releases), func(ctx context.Context, i int) error {
		r := releases[i]
		st := rel.states[r.Service]
		rec := st.Record
		switch {
		case rec.Stable == "":
			// Nothing serves it on the other side to step away from.
			return e.switchTo(ctx, rel, st, r, toTarget, target, &rows[i])
		case rec.Switching == "" && rec.Active == string(target.Role) && rec.Stable == r.Version:
			rows[i].Status, rows[i].Stable, rows[i].Canary = "switched", r.Version, ""
			return nil
		}
		w := weight
		if rec.Switching == string(target.Role) && rec.Canary == r.Version {
			w = max(w, e.canaryWeight(st, stepped))
		}
		// The record first: a run stopped before the route is written
		// leaves a switch that shift-weight, promote and rollback can
		// move (at 0 %), never weight on the rebuilt side that no record
		// accounts for.
		next := rel.record(st, PhaseCanary, rec.Stable, r.Version, rec.Previous)
		next.Active, next.Switching = string(serving.Role), string(target.Role)
		if err := e.save(ctx, st, next); err != nil {
			return err
		}
		if err := e.apply(ctx, st, stepped.canary(r.Service, label(rec.Stable), label(r.Version), w)); err != nil {
			return err
		}
		rows[i].Status, rows[i].Stable, rows[i].Canary, rows[i].Weight = InCanary, rec.Stable, r.Version, w
		return nil
	})
	if err != nil {
		return out, err
	}
	for _, row := range rows {
		if row.Status == InCanary {
			out.Switching = target.Name(serving)
			return out, nil
		}
	}
	// Every service went straight to target: the switch is complete.
	return Rebuilt{Active: target.Name(serving), Passive: serving.Name(target), Gate: out.Gate, Result: Result{Rows: rows}}, nil
}

// loadSwitch reads where the plan's stepped switch stands and, while it
// is in progress, done or being switched back, the services on both sides: the release's
// stable side is the side serving, its canary side the side switched to.
func (e *Env) loadSwitch(ctx context.Context, l *plan.Loaded) (*release, bgSwitch, error) {
	records, names, err := e.planRecords(ctx, l)
	if err != nil {
		return nil, bgSwitch{}, err
	}
	sw, err := switchOf(e.Place, records, names, l.Plan.Version, l.Ref)
	if sw.stage == undone {
		rel := &release{plan: l, rows: make([]Row, len(names))}
		for i, s := range names {
			rel.rows[i] = Row{Service: s, Status: RolledBack, Stable: records[s].Stable}
		}
		return rel, sw, nil
	}
	if err != nil || sw.stage == noSwitch {
		return nil, sw, err
	}
	rt, err := e.switchRouting(sw.serving, sw.target)
	if err != nil {
		return nil, sw, err
	}
	services, states, err := e.renderAndRead(ctx, l, sw.target.Namespace, sw.serving, sw.target)
	if err != nil {
		return nil, sw, err
	}
	rel := &release{plan: l, stable: sw.serving, canary: sw.target, routing: rt, services: services, states: states, rows: make([]Row, len(services))}
	for i, r := range services {
		st := states[r.Service]
		st.Port = servicePort(r)
		rel.rows[i] = e.switchRow(st, r, sw, rt)
	}
	return rel, sw, nil
}

// shiftSwitch is Shift on a blue/green topology: it moves the plan's
// stepped switch toward the side switched to, gated and rolled back on
// failure as a canary is.
func (e *Env) shiftSwitch(ctx context.Context, l *plan.Loaded, opts ShiftOptions) (Result, error) {
	rel, sw, err := e.loadSwitch(ctx, l)
	if err != nil {
		return Result{}, err
	}
	if sw.stage == switched {
		e.progress("%s serves %s already: nothing to shift", sw.target.Location, l.Plan.Version)
		return Result{Rows: rel.rows}, nil
	}
	if sw.stage != switching {
		return Result{}, noSwitchError("shift-weight", e.Place, l.Plan.Version)
	}
	canaries := rel.with(InCanary)
	schedule, resumed, err := switchSchedule(rel.rows, canaries, opts)
	if err != nil {
		return Result{}, err
	}
	if resumed {
		e.progress("resuming the schedule: earlier steps were already walked")
	}
	e.progress("switching %d services from %s to %s", len(canaries), sw.serving.Location, sw.target.Location)
	return Result{Rows: rel.rows}, e.walk(ctx, rel, canaries, schedule, opts)
}

// promoteSwitch is Promote on a blue/green topology: it completes the
// plan's stepped switch, every service all on the side switched to (ready
// first), which becomes the active one; the side switched from is kept
// as it is, passive, for an instant switch back.
func (e *Env) promoteSwitch(ctx context.Context, l *plan.Loaded, opts PromoteOptions) (Result, error) {
	rel, sw, err := e.loadSwitch(ctx, l)
	if err != nil {
		return Result{}, err
	}
	if sw.stage == switched {
		e.progress("%s serves %s already: the switch is complete", sw.target.Location, l.Plan.Version)
		return Result{Rows: rel.rows}, nil
	}
	if sw.stage != switching {
		return Result{}, noSwitchError("promote", e.Place, l.Plan.Version)
	}
	var outside []string
	for _, row := range rel.rows {
		if row.Status != InCanary && row.Status != IsStable {
			outside = append(outside, fmt.Sprintf("%s (%s)", row.Service, row.Status))
		}
	}
	if len(outside) > 0 {
		return Result{Rows: rel.rows}, outcome.Invalidf("services outside the switch to %s: %s; run rollback to finish undoing it, or rebuild-cluster with switch stepped to take them back in", sw.target.Location, strings.Join(outside, ", "))
	}
	if err := e.gatePromotion(ctx, rel, opts.Gate); err != nil {
		return Result{Rows: rel.rows}, err
	}
	toTarget, err := e.switchRouting(sw.target, sw.serving)
	if err != nil {
		return Result{Rows: rel.rows}, err
	}
	todo := rel.with(InCanary)
	e.progress("completing the switch of %d services to %s", len(todo), sw.target.Location)
	err = each(ctx, e, todo, func(ctx context.Context, i int) error {
		r := rel.services[i]
		st := rel.states[r.Service]
		if err := e.ensureReady(ctx, st, sw.target, r.Version); err != nil {
			return fmt.Errorf("completing the switch of %s: %w", r.Service, err)
		}
		if err := e.switchTo(ctx, rel, st, r, toTarget, sw.target, &rel.rows[i]); err != nil {
			return err
		}
		rel.rows[i].Status, rel.rows[i].Weight, rel.rows[i].Note = IsStable, 0, "switched to "+sw.target.Name(sw.serving)
		return nil
	})
	return Result{Rows: rel.rows}, err
}

// rollbackSwitch is Rollback on a blue/green topology: all traffic of the
// plan's stepped switch goes back to the side switched from (its version
// ready first) and the records end the switch; the rebuilt side is left
// as it is, passive. Once the switch is complete, it switches back
// (switchBack).
func (e *Env) rollbackSwitch(ctx context.Context, l *plan.Loaded) (Result, error) {
	rel, sw, err := e.loadSwitch(ctx, l)
	switch {
	case err != nil:
		return Result{}, err
	case sw.stage == undone:
		e.progress("the switch of %s was rolled back already: nothing to roll back", l.Plan.Version)
		return Result{Rows: rel.rows}, nil
	case sw.stage == switched || sw.stage == switchingBack:
		return e.switchBack(ctx, rel, sw)
	case sw.stage != switching:
		return Result{}, noSwitchError("rollback", e.Place, l.Plan.Version)
	}
	err = each(ctx, e, indexes(rel.rows), func(ctx context.Context, i int) error {
		r, row := rel.services[i], &rel.rows[i]
		st := rel.states[r.Service]
		if row.Status != InCanary {
			row.Note = "not in the switch: left as it is"
			return nil
		}
		stable := st.Record.Stable
		if err := e.ensureReady(ctx, st, sw.serving, stable); err != nil {
			return fmt.Errorf("rolling back the switch of %s: %s is not ready in %s: %w", r.Service, stable, sw.serving.Location, err)
		}
		if err := e.apply(ctx, st, rel.routing.stable(r.Service, label(stable))); err != nil {
			return err
		}
		if err := e.save(ctx, st, rel.record(st, PhaseRolledBack, stable, "", st.Record.Previous)); err != nil {
			return err
		}
		row.Status, row.Canary, row.Weight = RolledBack, "", 0
		return nil
	})
	return Result{Rows: rel.rows}, err
}

// testingSwitch is Testing on a blue/green topology: the services of the
// plan's stepped switch in progress, the version serving on the side
// switched from as stable and the plan's on the side switched to as the
// canary.
func (e *Env) testingSwitch(ctx context.Context, l *plan.Loaded) ([]Tested, error) {
	records, names, err := e.planRecords(ctx, l)
	if err != nil {
		return nil, err
	}
	sw, err := switchOf(e.Place, records, names, l.Plan.Version, l.Ref)
	if err != nil || sw.stage != switching {
		return nil, err
	}
	var out []Tested
	for _, s := range names {
		r := records[s]
		if r.Switching == string(sw.target.Role) && r.Canary == l.Plan.Version {
			out = append(out, Tested{Service: s, Stable: Version{r.Stable, sw.serving}, Canary: Version{r.Canary, sw.target}})
		}
	}
	return out, nil
}

// with returns the indexes of the rows of status.
func (rel *release) with(status Status) []int {
	var out []int
	for i, row := range rel.rows {
		if row.Status == status {
			out = append(out, i)
		}
	}
	return out
}
