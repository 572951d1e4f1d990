package canary

import (
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// A stepped blue/green switch (rebuild-cluster's switch "stepped") moves a
// blue/green topology's traffic from the side serving to the rebuilt one
// as a canary moves: the side switched to plays the canary's part, the
// side serving the stable one. Each service's record says it: Active is
// the side serving, Switching the side switched to, Stable the version
// serving, Canary the plan's version on the rebuilt side. shift-weight,
// promote and rollback then move, complete or undo the switch.

// switchStage is where a plan's stepped switch stands, by the records.
type switchStage int

const (
	// noSwitch: no switch of the plan is in progress, done or undone.
	noSwitch switchStage = iota
	// switching: some services are being switched.
	switching
	// switched: every service serves the plan's version on the side
	// switched to.
	switched
	// undone: the plan's switch was rolled back, or switched back once
	// complete.
	undone
	// switchingBack: a switch back (rollback once the switch completed)
	// was cut short: some services still serve on the side switched to.
	switchingBack
)

// bgSwitch is a plan's stepped switch: its stage, the side serving and
// the side switched to (both known while switching, switched or switching
// back).
type bgSwitch struct {
	stage           switchStage
	serving, target topology.Side
}

// switchOf reads, from the records of a plan's services, where its stepped
// switch stands on placement p. Records of a switch with another version,
// or to both sides at once, are an Invalid error saying what to do.
func switchOf(p topology.Placement, records map[string]Record, services []string, version, ref string) (bgSwitch, error) {
	var target config.Role
	for _, s := range services {
		r := records[s]
		if r.Switching == "" {
			continue
		}
		if r.Canary != version {
			return bgSwitch{}, outcome.Invalidf("a stepped switch to %s with %s is in progress (service %s): promote or roll back that release first", r.Switching, dash(r.Canary), s)
		}
		if target != "" && config.Role(r.Switching) != target {
			return bgSwitch{}, outcome.Invalidf("the records say services are being switched to both %s and %s: run rebuild-cluster with switch stepped again to take them into one switch", target, r.Switching)
		}
		target = config.Role(r.Switching)
	}
	if target != "" {
		return sidesOf(p, switching, target)
	}
	done, back, anyBack := true, true, false
	var active, left config.Role
	for _, s := range services {
		r := records[s]
		rolled := r.Plan == ref && r.Phase == PhaseRolledBack
		on := r.Stable == version && r.Active != "" && !rolled
		done = done && on
		if on {
			active = config.Role(r.Active)
			if r.Previous != "" {
				left = active
			}
		}
		anyBack = anyBack || rolled
		back = back && (rolled || (r.Plan == ref && r.Stable == version))
	}
	switch {
	case done && active != "":
		return sidesOf(p, switched, active)
	case back && anyBack && left != "":
		// A switch back (rollback after the switch completed) cut
		// short: services with a version to go back to still serve on
		// the side switched to.
		return sidesOf(p, switchingBack, left)
	case back && anyBack:
		return bgSwitch{stage: undone}, nil
	}
	return bgSwitch{stage: noSwitch}, nil
}

// sidesOf is a switch at stage to the side of role target.
func sidesOf(p topology.Placement, stage switchStage, target config.Role) (bgSwitch, error) {
	to, ok := p.Side(target)
	from, ok2 := p.Other(target)
	if !ok || !ok2 {
		return bgSwitch{}, outcome.Invalidf("the records name %q as a side of the %s topology, which has no such side", target, p.Kind)
	}
	return bgSwitch{stage: stage, serving: from, target: to}, nil
}

// noSwitchError is the state error of a step that moves a stepped switch
// when none is in progress.
func noSwitchError(step string, p topology.Placement, version string) error {
	return outcome.Invalidf("%s: no stepped switch of %s is in progress on the %s topology: run rebuild-cluster with this plan and switch stepped first", step, version, p.Kind)
}

// switchConflict refuses, before anything is applied, a rebuild of target
// while a stepped switch of another version, or to the other side, is in
// progress: the side being switched to takes traffic. A stepped switch is
// refused on a topology whose canary steps move a canary side rather than
// the switch (active-passive-canary-namespace), on one mesh or separate
// meshes: nothing would move or complete it.
func switchConflict(p topology.Placement, states map[string]*ServiceState, releases []Release, target, other topology.Side, stepped bool) error {
	if stepped && !p.SteppedSwitch() {
		return outcome.Invalidf("switch stepped: the %s topology switches its clusters at once only, its canary steps moving its canary half; give switch true", p.Kind)
	}
	for _, r := range releases {
		rec := states[r.Service].Record
		if rec.Switching == "" || (rec.Switching == string(target.Role) && rec.Canary == r.Version) {
			continue
		}
		return outcome.Invalidf("a stepped switch to %s with %s is in progress (service %s): promote or roll it back before rebuilding %s %q", rec.Switching, dash(rec.Canary), r.Service, sideKind(target, other), target.Name(other))
	}
	return nil
}

// switchRow reports a service of a plan's stepped switch: in canary while
// it is being switched (its weight on the side switched to), stable once
// switched, else as its record has it.
func (e *Env) switchRow(st *ServiceState, r Release, sw bgSwitch, rt routing) Row {
	rec := st.Record
	row := Row{Service: r.Service, Stable: rec.Stable}
	switch {
	case rec.Switching == string(sw.target.Role) && rec.Canary == r.Version:
		row.Status, row.Canary, row.Weight = InCanary, r.Version, e.canaryWeight(st, rt)
	case rec.Stable == r.Version && rec.Active == string(sw.target.Role):
		row.Status = IsStable
	case rec.Phase == PhaseRolledBack:
		row.Status = RolledBack
	default:
		row.Status = Changed
	}
	return row
}

// switchSchedule is the weights a shift walks: opts.Weight, or the rest of
// opts.Steps above the lowest weight in effect among the canaries.
func switchSchedule(rows []Row, canaries []int, opts ShiftOptions) (schedule []int, resumed bool, err error) {
	if len(opts.Steps) == 0 {
		return []int{opts.Weight}, false, traffic.CheckWeight(opts.Weight)
	}
	current := 100
	for _, i := range canaries {
		current = min(current, rows[i].Weight)
	}
	schedule, err = traffic.Resume(current, opts.Steps)
	return schedule, err == nil && len(schedule) < len(opts.Steps), err
}
