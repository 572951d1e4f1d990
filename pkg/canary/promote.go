package canary

import (
	"context"
	"fmt"
	"strings"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
)

// PromoteOptions tunes Promote.
type PromoteOptions struct {
	// PassiveReplicas is how many replicas the previous version keeps so
	// that a rollback after promotion is instant; 0 scales it to zero.
	PassiveReplicas int
	// Gate, when set, judges the canaries once more at the weight they
	// have before anything is promoted; a failure sends all traffic back
	// to stable and fails as Negative.
	Gate Gate
}

// Promote makes every canary of the plan's release stable: all traffic to
// the new version, the stable subset moved to it, the previous version kept
// passive with PassiveReplicas, anything older removed. Services already
// promoted are brought to the same end state, so promoting twice is the
// same as once.
func Promote(ctx context.Context, e *Env, l *plan.Loaded, opts PromoteOptions) (Result, error) {
	if opts.PassiveReplicas < 0 {
		return Result{}, outcome.Invalidf("passive-replicas %d: give 0 or more", opts.PassiveReplicas)
	}
	releases, states, err := e.load(ctx, l)
	if err != nil {
		return Result{}, err
	}
	rows := make([]Row, len(releases))
	var todo []int
	var missing []string
	for i, r := range releases {
		st := states[r.Service]
		rows[i] = e.row(r, st, Classify(r, st))
		switch rows[i].Status {
		case InCanary, IsStable:
			todo = append(todo, i)
		case Changed, First:
			missing = append(missing, fmt.Sprintf("%s (stable %s)", r.Service, dash(st.Stable())))
		}
	}
	if len(missing) > 0 {
		return Result{}, outcome.Invalidf("services without a canary of %s: %s; run deploy-canary with this plan first", l.Plan.Version, strings.Join(missing, ", "))
	}
	if err := e.gatePromotion(ctx, l, opts.Gate, releases, states, rows); err != nil {
		return Result{Rows: rows}, err
	}
	err = each(ctx, e, todo, func(ctx context.Context, i int) error {
		return e.promote(ctx, l.Ref, releases[i], states[releases[i].Service], int32(opts.PassiveReplicas), &rows[i])
	})
	return Result{Rows: rows}, err
}

func (e *Env) promote(ctx context.Context, planRef string, r Release, st *ServiceState, passive int32, row *Row) error {
	previous := st.Previous()
	if row.Status == InCanary {
		previous = st.Stable()
		if err := e.ensureReady(ctx, st, r.Version); err != nil {
			return fmt.Errorf("promoting %s: %w", r.Service, err)
		}
		e.progress("%s: promoting %s over %s", r.Service, r.Version, previous)
		err := e.switchStable(ctx, r.Service, previous, r.Version,
			map[string]string{RecordPhase: PhasePromoting, RecordPlan: planRef},
			map[string]string{
				RecordStable: r.Version, RecordCanary: "", RecordPrevious: previous, RecordWeight: "",
				RecordPhase: PhasePromoted, RecordPlan: planRef,
			})
		if err != nil {
			return err
		}
	} else if _, ok := st.Subsets["canary"]; ok && st.Canary() == "" {
		// Promoted, but killed before the canary subset went.
		if err := e.subsets(ctx, r.Service, r.Version, ""); err != nil {
			return err
		}
	}
	row.Stable, row.Canary, row.Weight = r.Version, "", 0
	if d := st.Deployment(r.Version); d != nil {
		if err := e.scale(ctx, d, *d.Spec.Replicas, RoleStable); err != nil {
			return err
		}
	}
	if d := st.Deployment(previous); d != nil && previous != r.Version {
		if err := e.scale(ctx, d, passive, RolePassive); err != nil {
			return err
		}
		row.Note = fmt.Sprintf("%s passive with %d replicas", previous, passive)
	}
	return e.prune(ctx, st, r.Version, previous)
}

// gatePromotion asks the gate about the canaries still in canary, at the
// lowest weight they have.
func (e *Env) gatePromotion(ctx context.Context, l *plan.Loaded, gate Gate, releases []Release, states map[string]*ServiceState, rows []Row) error {
	var canaries []int
	weight := 100
	for i, row := range rows {
		if row.Status == InCanary {
			canaries = append(canaries, i)
			weight = min(weight, row.Weight)
		}
	}
	if gate == nil || len(canaries) == 0 {
		return nil
	}
	err := gate.Check(ctx, weight)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if back := e.toStable(ctx, l, releases, states, canaries, rows); back != nil {
		return fmt.Errorf("analysis failed before promotion: %w; sending traffic back to stable failed too: %w", err, back)
	}
	return outcome.Negative(fmt.Errorf("analysis failed before promotion at %d%%: %w; all traffic is back on stable, nothing was promoted", weight, err))
}
