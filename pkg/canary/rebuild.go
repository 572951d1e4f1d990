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
	// Passive names the side to rebuild, one of the topology's stable and
	// passive sides and not the one serving: by its target role, its
	// cluster (kubeconfig context) or its namespace (see
	// topology.RebuildSide).
	Passive string
	// Switch sends all traffic to the rebuilt side once it is ready.
	Switch bool
	// Stepped, instead of Switch, begins a stepped switch once the
	// rebuilt side is ready: each service's route gets both sides, the
	// rebuilt one at InitialWeight percent, for shift-weight, promote and
	// rollback to move on (see beginSwitch).
	Stepped       bool
	InitialWeight int
	// PassiveReplicas is how many replicas a version replaced in place
	// keeps (see Rebuild); 0 scales it to zero.
	PassiveReplicas int
	// Gate, when set, judges the rebuilt side once it is ready and before
	// any traffic is switched to it, at weight 0 (see RebuildTesting for
	// what it judges); a refusal switches nothing and is a negative
	// outcome. It is consulted with or without Switch.
	Gate Gate
}

// Rebuilt says which side serves after Rebuild, by name: the namespace
// of a blue/green between namespaces, the cluster (kubeconfig context) of
// one between clusters.
type Rebuilt struct {
	Active, Passive string
	// Switching, after a stepped switch began, is the side being
	// switched to (the passive one meanwhile).
	Switching string
	// Gate is what the gate said, GatePassed or GateFailed; empty when
	// none was consulted.
	Gate string
	Result
}

// Rebuild is the blue/green of a topology with a passive side: it applies
// every service of the plan to the passive side, waits until all are
// ready, removes what the plan no longer runs there, asks the gate, if
// any, about the rebuilt side, and with Switch
// routes all of each service's requests to the rebuilt side, recording it
// as the active one. The route stays where the topology placed it, so
// that clients keep one address whichever side serves. A topology whose
// release side serves while it is rebuilt (gateway-routed-clusters) is
// rebuilt in place instead, with no switch (see rebuildInPlace).
func Rebuild(ctx context.Context, e *Env, l *plan.Loaded, opts RebuildOptions) (Rebuilt, error) {
	if e.Place.RebuildsInPlace() {
		if _, _, err := topology.RebuildSide(e.Place, opts.Passive); err != nil {
			return Rebuilt{}, err
		}
		if opts.Stepped {
			return Rebuilt{}, outcome.Invalidf("switch stepped: topology %s rebuilds its release side in place, with nothing to switch", e.Place.Kind)
		}
		return rebuildInPlace(ctx, e, l, opts)
	}
	stable, passive, _ := e.Place.BlueGreen()
	target, other, err := topology.RebuildSide(e.Place, opts.Passive)
	if err != nil {
		return Rebuilt{}, err
	}
	releases, states, err := e.renderAndRead(ctx, l, target.Namespace, stable, passive)
	if err != nil {
		return Rebuilt{}, err
	}
	if err := switchConflict(e.Place, states, releases, target, other, opts.Stepped); err != nil {
		return Rebuilt{}, err
	}
	serving, released := servingSide(e.Place, states, releases, target)
	if released && serving.Role == target.Role && !resuming(target, releases, states) {
		return Rebuilt{}, outcome.Invalidf("%s %q serves traffic now: rebuild the passive one, %q", sideKind(target, other), target.Name(other), other.Name(target))
	}
	if !released {
		serving = other
	}
	toTarget, err := e.switchRouting(target, other)
	if err != nil {
		return Rebuilt{}, err
	}
	roll := &rollout{side: target}
	for _, r := range releases {
		roll.add(r)
		states[r.Service].Port = servicePort(r)
		// Across separate meshes, the other clusters reach the target
		// through its ingress gateway once it serves.
		if err := addIngress(roll, r, toTarget); err != nil {
			return Rebuilt{}, err
		}
	}
	e.progress("rebuilding %s from %s", target.Location, l.Plan.Version)
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
	out := Rebuilt{Active: serving.Name(target), Passive: target.Name(serving), Result: Result{Rows: rows}}
	// A re-run after the switch finds target serving: its gate ran then.
	if serving.Role != target.Role {
		if err := e.gateRebuilt(ctx, opts.Gate, target, other, &out); err != nil {
			return out, err
		}
	}
	if opts.Stepped {
		return e.beginSwitch(ctx, rel, releases, serving, target, opts.InitialWeight, out)
	}
	if !opts.Switch {
		return out, nil
	}
	e.progress("switching %d services to %s", len(releases), target.Location)
	err = each(ctx, e, indexes(releases), func(ctx context.Context, i int) error {
		return e.switchTo(ctx, rel, states[releases[i].Service], releases[i], toTarget, target, &rows[i])
	})
	if err != nil {
		return out, err
	}
	return Rebuilt{Active: target.Name(other), Passive: other.Name(target), Gate: out.Gate, Result: Result{Rows: rows}}, nil
}

// servingSide is the side serving, by the records: the side they name,
// else the topology's stable side once anything was released; released is
// false before that. Records that name target for some of the plan's
// services, each at the plan's version, and not for all, are a switch to
// target with this plan cut short: the other side still serves the rest,
// and rebuilding target again finishes the switch.
func servingSide(p topology.Placement, states map[string]*ServiceState, releases []Release, target topology.Side) (serving topology.Side, released bool) {
	serving, _ = p.Part(config.PartStable)
	switched, older := 0, 0
	for _, r := range releases {
		rec := states[r.Service].Record
		released = released || rec.Stable != "" || rec.Active != ""
		switch {
		case rec.Active == string(target.Role) && rec.Stable == r.Version:
			switched++
		case rec.Active == string(target.Role):
			older++
		case rec.Active != "":
			if s, ok := p.Side(config.Role(rec.Active)); ok {
				serving = s
			}
		}
	}
	if older > 0 || switched == len(releases) {
		return target, released
	}
	if switched > 0 && serving.Role == target.Role {
		_, serving, _ = p.BlueGreen()
		if serving.Role == target.Role {
			serving, _ = p.Part(config.PartStable)
		}
	}
	return serving, released
}

// sideKind says what tells a blue/green's sides apart: "namespace" or
// "cluster".
func sideKind(s, other topology.Side) string {
	if s.Namespace != other.Namespace || s.Context == "" {
		return "namespace"
	}
	return "cluster"
}

// resuming says whether a rebuild into the serving target is this plan's
// own switch run again (a CI retry, or a run killed after its last switch
// but before it ended): every service recorded as served by target serves
// there the plan's version. Re-running it changes nothing and answers as
// the first run did; a target that serves another release is refused.
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
func (e *Env) switchTo(ctx context.Context, rel *release, st *ServiceState, r Release, rt routing, target topology.Side, row *Row) error {
	if err := e.apply(ctx, st, rt.stable(r.Service, label(r.Version))); err != nil {
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
