package canary

import (
	"context"

	"github.com/aviary-cd/aviary/pkg/plan"
)

// deploySwitch is deploy-canary on a blue/green topology: the side that
// does not serve plays the canary side. It rebuilds that side from the
// plan and begins a stepped switch to it at weight, as rebuild-cluster
// with switch stepped does, for shift-weight, promote and rollback to move
// on. A re-run finds the switch begun and keeps the weight in effect.
func (e *Env) deploySwitch(ctx context.Context, l *plan.Loaded, weight int) (Result, error) {
	idle, done, err := e.idleSide(ctx, l)
	if err != nil || done.Rows != nil {
		return done, err
	}
	res, err := Rebuild(ctx, e, l, RebuildOptions{Passive: idle, Stepped: true, InitialWeight: weight})
	return res.Result, err
}

// idleSide names, by its target role, the blue/green side that does not
// serve the plan's services by their records: the passive side before
// anything was released. When the switch to this plan is complete (a
// re-run after promote), it returns instead the rows saying so, and
// nothing is to be done.
func (e *Env) idleSide(ctx context.Context, l *plan.Loaded) (string, Result, error) {
	stable, passive, _ := e.Place.BlueGreen()
	releases, states, err := e.renderAndRead(ctx, l, passive.Namespace, stable, passive)
	if err != nil {
		return "", Result{}, err
	}
	if done, ok := servedAlready(releases, states); ok {
		return "", done, nil
	}
	serving, released := servingSide(e.Place, states, releases, passive)
	if !released || serving.Role == stable.Role {
		return string(passive.Role), Result{}, nil
	}
	return string(stable.Role), Result{}, nil
}

// servedAlready reports whether every service of the plan is served at
// the plan's version, with no switch in progress, and the rows saying so.
func servedAlready(releases []Release, states map[string]*ServiceState) (Result, bool) {
	rows := make([]Row, len(releases))
	for i, r := range releases {
		rec := states[r.Service].Record
		if rec.Switching != "" || rec.Stable != r.Version || rec.Active == "" {
			return Result{}, false
		}
		rows[i] = Row{Service: r.Service, Status: IsStable, Stable: r.Version, Note: "serves on " + rec.Active}
	}
	return Result{Rows: rows}, true
}
