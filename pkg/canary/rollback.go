package canary

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
)

// RolledBack marks a row whose service Rollback sent back.
const RolledBack Status = "rolled back"

// Rollback sends every service of the plan's release back to the version
// before it. Before promotion all traffic goes back to stable and the
// canary is scaled to zero. After promotion the passive previous version is
// scaled up, waited for, and then made stable again; the release's version
// is scaled to zero. Nothing is ever routed to a version that is not ready.
// Services the release did not change, or released for the first time, are
// left alone.
func Rollback(ctx context.Context, e *Env, l *plan.Loaded) (Result, error) {
	releases, states, err := e.load(ctx, l)
	if err != nil {
		return Result{}, err
	}
	rows := make([]Row, len(releases))
	for i, r := range releases {
		st := states[r.Service]
		rows[i] = e.row(r, st, Classify(r, st))
	}
	err = each(ctx, e, indexes(rows), func(ctx context.Context, i int) error {
		return e.rollback(ctx, l.Ref, releases[i], states[releases[i].Service], &rows[i])
	})
	return Result{Rows: rows}, err
}

func (e *Env) rollback(ctx context.Context, planRef string, r Release, st *ServiceState, row *Row) error {
	switch row.Status {
	case InCanary:
		stable := st.Stable()
		if err := e.ensureReady(ctx, st, stable); err != nil {
			return fmt.Errorf("rolling back %s: stable %s is not ready: %w", r.Service, stable, err)
		}
		err := e.route(ctx, r.Service, 0, false, map[string]string{
			RecordStable: stable, RecordCanary: "", RecordWeight: "", RecordPhase: PhaseRolledBack, RecordPlan: planRef,
		})
		if err != nil {
			return err
		}
		if err := e.subsets(ctx, r.Service, stable, ""); err != nil {
			return err
		}
		row.Status, row.Canary, row.Weight = RolledBack, "", 0
	case IsStable:
		previous := st.Previous()
		if previous == "" {
			row.Note = "first release: no earlier version to go back to"
			return nil
		}
		if st.Deployment(previous) == nil {
			return outcome.Negativef("cannot roll back %s to %s: its Deployment %s is gone", r.Service, previous, DeploymentName(r.Service, previous))
		}
		e.progress("%s: scaling %s back up", r.Service, previous)
		if err := e.ensureReady(ctx, st, previous); err != nil {
			return fmt.Errorf("rolling back %s: %w; traffic stays on %s", r.Service, err, r.Version)
		}
		if err := e.scale(ctx, st.Deployment(previous), wantedReplicas(st.Deployment(previous)), RoleStable); err != nil {
			return err
		}
		err := e.switchStable(ctx, r.Service, r.Version, previous,
			map[string]string{RecordPhase: PhaseRolledBack, RecordPlan: planRef},
			map[string]string{
				RecordStable: previous, RecordCanary: "", RecordPrevious: "", RecordWeight: "",
				RecordPhase: PhaseRolledBack, RecordPlan: planRef,
			})
		if err != nil {
			return err
		}
		row.Status, row.Stable, row.Note = RolledBack, previous, "from "+r.Version
	default:
		row.Note = "nothing to roll back"
		if _, ok := st.Subsets["canary"]; ok && st.Canary() == "" && st.Stable() != "" {
			// A switch killed before its last write left the canary subset.
			if err := e.subsets(ctx, r.Service, st.Stable(), ""); err != nil {
				return err
			}
		}
	}
	// The release's own version serves nothing now (also finishes a
	// rollback that was killed after routing).
	if d := st.Deployment(r.Version); d != nil {
		return e.scale(ctx, d, 0, RoleRetired)
	}
	return nil
}
