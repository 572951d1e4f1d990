package canary

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// RolledBack marks a row whose service Rollback sent back.
const RolledBack Status = "rolled back"

// Rollback sends every service of the plan's release back to the version
// before it. Before promotion all traffic goes back to the stable side and
// the canary is scaled to zero (beside stable) or removed (from a canary
// side of its own). After promotion the passive previous version is
// scaled up, waited for, and then made stable again; the release's version
// is scaled to zero. Nothing is ever routed to a version that is not ready.
// Services the release did not change, or released for the first time,
// are left alone.
func Rollback(ctx context.Context, e *Env, l *plan.Loaded) (Result, error) {
	if e.Place.SteppedSwitch() {
		return e.rollbackSwitch(ctx, l)
	}
	rel, err := e.load(ctx, l)
	if err != nil {
		return Result{}, err
	}
	err = each(ctx, e, indexes(rel.rows), func(ctx context.Context, i int) error {
		return e.rollback(ctx, rel, rel.services[i], &rel.rows[i])
	})
	return Result{Rows: rel.rows}, err
}

func (e *Env) rollback(ctx context.Context, rel *release, r Release, row *Row) error {
	st := rel.states[r.Service]
	switch row.Status {
	case InCanary:
		stable := st.Stable(rel.stable)
		if err := e.ensureReady(ctx, st, rel.stable, stable); err != nil {
			return fmt.Errorf("rolling back %s: stable %s is not ready: %w", r.Service, stable, err)
		}
		if err := e.apply(ctx, st, rel.routing.stable(r.Service, label(stable))); err != nil {
			return err
		}
		if err := e.save(ctx, st, rel.record(st, PhaseRolledBack, stable, "", st.Record.Previous)); err != nil {
			return err
		}
		row.Status, row.Canary, row.Weight = RolledBack, "", 0
	case IsStable:
		previous := st.Record.Previous
		if previous == "" {
			row.Note = "first release: no earlier version to go back to"
			return nil
		}
		d := st.Deployment(rel.stable, previous)
		if d == nil {
			return outcome.Negativef("cannot roll back %s to %s: its Deployment %s is gone from %s", r.Service, previous, DeploymentName(r.Service, previous), rel.stable)
		}
		e.progress("%s: scaling %s back up", r.Service, previous)
		if err := e.ensureReady(ctx, st, rel.stable, previous); err != nil {
			return fmt.Errorf("rolling back %s: %w; traffic stays on %s", r.Service, err, r.Version)
		}
		if err := e.scale(ctx, rel.stable, d, wantedReplicas(d), DeploymentStable); err != nil {
			return err
		}
		if err := e.apply(ctx, st, rel.routing.stable(r.Service, label(previous))); err != nil {
			return err
		}
		if err := e.save(ctx, st, rel.record(st, PhaseRolledBack, previous, "", "")); err != nil {
			return err
		}
		row.Status, row.Stable, row.Note = RolledBack, previous, "from "+r.Version
	default:
		row.Note = "nothing to roll back"
		if stable := st.Stable(rel.stable); stable != "" && st.Record.Canary == "" {
			// A rollback killed before its last write left a subset.
			if err := e.apply(ctx, st, rel.routing.stable(r.Service, label(stable))); err != nil {
				return err
			}
		}
	}
	// The release's own version serves nothing now (this also finishes a
	// rollback killed after routing).
	if !rel.sameSide() {
		if d := st.Deployment(rel.canary, r.Version); d != nil {
			if err := e.prune(ctx, st, rel.canary, otherVersions(st, rel.canary, r.Version)...); err != nil {
				return err
			}
		}
	}
	if !rel.sameSide() && st.Record.Canary == "" && st.Stable(rel.stable) != "" {
		if err := e.dropRemotes(ctx, rel, st, r, rel.routing.stable(r.Service, label(st.Stable(rel.stable)))); err != nil {
			return err
		}
	}
	if d := st.Deployment(rel.stable, r.Version); d != nil && st.Stable(rel.stable) != r.Version {
		return e.scale(ctx, rel.stable, d, 0, DeploymentRetired)
	}
	return nil
}

// otherVersions are the versions on side other than version.
func otherVersions(st *ServiceState, side topology.Side, version string) []string {
	var out []string
	for v := range st.Workloads[side.Role] {
		if v != version {
			out = append(out, v)
		}
	}
	return out
}
