package canary

import (
	"context"
	"fmt"
	"slices"

	"github.com/aviary-cd/aviary/pkg/config"
)

// Dropped marks a row of a service the plan no longer has, removed from a
// canary side that is rebuilt for every release.
const Dropped Status = "dropped"

// dropCanaries empties a canary side rebuilt for every release
// (rebuilt-canary-cluster: a side of its own whose scope is every service)
// of the services the plan no longer has: a canary of one still routed to
// goes back to its stable version first (ready), then its Deployments
// there and what reached them from another mesh are removed. It returns a
// row per service dropped.
func (e *Env) dropCanaries(ctx context.Context, rel *release) ([]Row, error) {
	if rel.sameSide() || rel.canary.Scope != config.ScopeAll {
		return nil, nil
	}
	list, err := e.deployments(ctx, rel.canary.Location)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, d := range list {
		s := d.Labels[LabelService]
		if s == "" || slices.Contains(gone, s) || slices.ContainsFunc(rel.services, func(r Release) bool { return r.Service == s }) {
			continue
		}
		gone = append(gone, s)
	}
	if len(gone) == 0 {
		return nil, nil
	}
	slices.Sort(gone)
	states, err := e.snapshot(ctx, gone, rel.stable, rel.canary)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(gone))
	err = each(ctx, e, indexes(gone), func(ctx context.Context, i int) error {
		st := states[gone[i]]
		stable := st.Stable(rel.stable)
		rows[i] = Row{Service: st.Service, Status: Dropped, Stable: stable, Note: "not in " + rel.plan.Plan.Version + ": removed from " + rel.canary.String()}
		if stable == "" {
			return fmt.Errorf("service %q: not in plan %s and without a stable version in %s: leaving its canary in %s", st.Service, rel.plan.Plan.Version, rel.stable, rel.canary)
		}
		r := Release{Service: st.Service, Version: stable}
		if st.Record.Canary != "" || e.canaryWeight(st, rel.routing) > 0 {
			if err := e.ensureReady(ctx, st, rel.stable, stable); err != nil {
				return fmt.Errorf("dropping the canary of %s: stable %s is not ready: %w", st.Service, stable, err)
			}
			if err := e.apply(ctx, st, rel.routing.stable(st.Service, label(stable))); err != nil {
				return err
			}
			if err := e.save(ctx, st, rel.record(st, PhaseRolledBack, stable, "", st.Record.Previous)); err != nil {
				return err
			}
		}
		e.progress("%s: not in %s, removing it from %s", st.Service, rel.plan.Plan.Version, rel.canary)
		if err := e.prune(ctx, st, rel.canary); err != nil {
			return err
		}
		return e.dropRemotes(ctx, rel, st, r, rel.routing.stable(st.Service, label(stable)))
	})
	return rows, err
}
