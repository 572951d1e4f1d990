package canary

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// switchBack is Rollback after a plan's blue/green switch completed: each
// service goes back, at once, to the side switched from, which was kept as
// it was. The version it runs there (the one it served, or the plan's own
// where the plan did not change it) is made ready, all of the service's
// traffic is routed to it, and its record says that side is active again.
// Services released for the first time, with nothing on that side, stay
// where they are. They are done first: a switch back cut short is then
// known by the services still on the side switched to that have a version
// to go back to (switchOf), and a re-run finishes it.
func (e *Env) switchBack(ctx context.Context, rel *release, sw bgSwitch) (Result, error) {
	var first, rest []int
	for i, r := range rel.services {
		if rel.states[r.Service].Record.Previous == "" {
			first = append(first, i)
		} else {
			rest = append(rest, i)
		}
	}
	e.progress("switching %d services back from %s to %s", len(rel.rows), sw.target.Location, sw.serving.Location)
	for _, group := range [][]int{first, rest} {
		if err := each(ctx, e, group, func(ctx context.Context, i int) error {
			return e.switchBackService(ctx, rel, sw, i)
		}); err != nil {
			return Result{Rows: rel.rows}, err
		}
	}
	return Result{Rows: rel.rows}, nil
}

func (e *Env) switchBackService(ctx context.Context, rel *release, sw bgSwitch, i int) error {
	r, row := rel.services[i], &rel.rows[i]
	st := rel.states[r.Service]
	rec := st.Record
	if row.Status != IsStable {
		row.Note = "not on " + sw.target.Name(sw.serving) + ": left as it is"
		return nil
	}
	back := ""
	for _, v := range []string{rec.Stable, rec.Previous} {
		if st.Deployment(sw.serving, v) != nil {
			back = v
			break
		}
	}
	switch {
	case back == "" && rec.Previous == "":
		row.Note = "first release: nothing on " + sw.serving.Name(sw.target) + " to go back to"
		return nil
	case back == "":
		return outcome.Negativef("cannot switch %s back to %s: its Deployment %s is gone from %s", r.Service, rec.Previous, DeploymentName(r.Service, rec.Previous), sw.serving.Location)
	}
	e.progress("%s: switching back to %s in %s", r.Service, back, sw.serving.Location)
	if err := e.ensureReady(ctx, st, sw.serving, back); err != nil {
		return fmt.Errorf("switching %s back: %s is not ready in %s: %w; traffic stays on %s", r.Service, back, sw.serving.Location, err, sw.target.Location)
	}
	if err := e.apply(ctx, st, rel.routing.stable(r.Service, label(back))); err != nil {
		return err
	}
	previous := ""
	if back == rec.Stable {
		previous = rec.Previous
	}
	next := rel.record(st, PhaseRolledBack, back, "", previous)
	next.Active = string(sw.serving.Role)
	if err := e.save(ctx, st, next); err != nil {
		return err
	}
	row.Status, row.Stable, row.Canary, row.Weight = RolledBack, back, "", 0
	row.Note = "switched back to " + sw.serving.Name(sw.target)
	return nil
}
