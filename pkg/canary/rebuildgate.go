package canary

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// RebuildTesting returns what a gate before Rebuild's switch judges: every
// service of l's plan, with as Canary the version it gets on the side name
// designates (the side Rebuild rebuilds, see RebuildOptions.Passive) and as
// Stable the version serving now and its side, by the records (no version
// before the first release). Where the rebuild is in place
// (topology.Placement.RebuildsInPlace), both are on the rebuilt side, and
// services whose version the plan does not change are left out. It
// changes nothing.
func RebuildTesting(ctx context.Context, e *Env, l *plan.Loaded, name string) ([]Tested, error) {
	target, other, err := topology.RebuildSide(e.Place, name)
	if err != nil {
		return nil, err
	}
	releases, err := RenderAll(l, target.Namespace)
	if err != nil {
		return nil, err
	}
	store, err := e.store(ctx)
	if err != nil {
		return nil, err
	}
	records, err := store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the release records: %w", err)
	}
	if e.Place.RebuildsInPlace() {
		// Both versions run on the rebuilt side, told apart by version.
		// A service the plan does not change has nothing new to judge:
		// it keeps serving as it is.
		var out []Tested
		for _, r := range releases {
			if stable := records[r.Service].Stable; stable != r.Version {
				out = append(out, Tested{Service: r.Service, Stable: Version{stable, target}, Canary: Version{r.Version, target}})
			}
		}
		return out, nil
	}
	states := make(map[string]*ServiceState, len(releases))
	for _, r := range releases {
		states[r.Service] = &ServiceState{Service: r.Service, Record: records[r.Service]}
	}
	serving, released := servingSide(e.Place, states, releases, target)
	if !released || serving.Role == target.Role {
		serving = other
	}
	out := make([]Tested, len(releases))
	for i, r := range releases {
		rec := records[r.Service]
		stable := rec.Stable
		if rec.Active == string(target.Role) {
			// A switch to target cut short or run again: what served
			// before it is the previous version, on the other side.
			stable = rec.Previous
		}
		out[i] = Tested{Service: r.Service, Stable: Version{stable, serving}, Canary: Version{r.Version, target}}
	}
	return out, nil
}

// gateRebuilt asks gate about the rebuilt target before any traffic moves
// to it. A refusal is a negative outcome: nothing more is switched, and
// the rebuilt side stays as it is for a re-run to check again.
func (e *Env) gateRebuilt(ctx context.Context, gate Gate, target, other topology.Side, out *Rebuilt) error {
	if gate == nil {
		return nil
	}
	e.progress("checking %s before the switch", target.Location)
	err := gate.Check(ctx, 0)
	if err == nil {
		out.Gate = GatePassed
		return nil
	}
	out.Gate = GateFailed
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for i := range out.Rows {
		out.Rows[i].Note = "not switched: the gate refused"
	}
	return outcome.Negative(fmt.Errorf("%s %q failed its gate before the switch: %w; no traffic was switched to it, and it is left as rebuilt: a re-run checks it again", sideKind(target, other), target.Name(other), err))
}

// The gate's answers in Rebuilt.Gate.
const (
	GatePassed = "pass"
	GateFailed = "fail"
)
