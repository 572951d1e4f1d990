package canary

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// ShiftOptions says how to move the canaries' weight: to Weight in one
// move when Steps is empty, else along Steps with Pause between them.
type ShiftOptions struct {
	Weight int
	Steps  []int
	Pause  time.Duration
	// Gate, when set, is consulted at every weight after its pause; a
	// failure sends all traffic back to stable and fails as Negative.
	Gate Gate
}

// Shift moves the weight of every canary of the plan's release together,
// one write per VirtualService per weight. A schedule resumes from the
// weight in effect (steps below it were walked by an earlier run), so
// running it again never moves traffic back. Traffic is never sent to a
// canary that is not ready.
func Shift(ctx context.Context, e *Env, l *plan.Loaded, opts ShiftOptions) (Result, error) {
	releases, states, err := e.load(ctx, l)
	if err != nil {
		return Result{}, err
	}
	rows := make([]Row, len(releases))
	var canaries []int
	var missing []string
	for i, r := range releases {
		st := states[r.Service]
		status := Classify(r, st)
		rows[i] = e.row(r, st, status)
		switch status {
		case InCanary:
			canaries = append(canaries, i)
		case Changed, First:
			missing = append(missing, fmt.Sprintf("%s (stable %s)", r.Service, dash(st.Stable())))
		}
	}
	if len(missing) > 0 {
		return Result{}, outcome.Invalidf("services without a canary of %s: %s; run deploy-canary with this plan first", l.Plan.Version, strings.Join(missing, ", "))
	}
	if len(canaries) == 0 {
		e.progress("no service of %s is in canary: nothing to shift", l.Plan.Version)
		return Result{Rows: rows}, nil
	}
	schedule := []int{opts.Weight}
	if len(opts.Steps) > 0 {
		current := 100
		for _, i := range canaries {
			current = min(current, rows[i].Weight)
		}
		if schedule, err = traffic.Resume(current, opts.Steps); err != nil {
			return Result{}, err
		}
		if len(schedule) < len(opts.Steps) {
			e.progress("resuming the schedule at %d%%: earlier steps were already walked", current)
		}
	} else if err := traffic.CheckWeight(opts.Weight); err != nil {
		return Result{}, err
	}
	for n, w := range schedule {
		if w > 0 {
			if err := e.checkCanariesReady(ctx, releases, canaries); err != nil {
				return Result{Rows: rows}, err
			}
		}
		err := each(ctx, e, canaries, func(ctx context.Context, i int) error {
			r := releases[i]
			st := states[r.Service]
			rows[i].Weight = w
			return e.route(ctx, r.Service, w, true, map[string]string{
				RecordStable: st.Stable(), RecordCanary: r.Version, RecordWeight: itoa(w), RecordPhase: PhaseCanary, RecordPlan: l.Ref,
			})
		})
		if err != nil {
			return Result{Rows: rows}, err
		}
		e.progress("canary weight %d%% on %d services %s", w, len(canaries), Bar(w, 20))
		if n < len(schedule)-1 {
			if err := e.sleep(ctx, opts.Pause); err != nil {
				return Result{Rows: rows}, err
			}
		}
		if opts.Gate == nil {
			continue
		}
		if err := opts.Gate.Check(ctx, w); err != nil {
			if ctx.Err() != nil {
				return Result{Rows: rows}, ctx.Err()
			}
			back := e.toStable(ctx, l, releases, states, canaries, rows)
			if back != nil {
				return Result{Rows: rows}, fmt.Errorf("analysis failed at %d%%: %w; sending traffic back to stable failed too: %w", w, err, back)
			}
			return Result{Rows: rows}, outcome.Negative(fmt.Errorf("analysis failed at %d%%: %w; all traffic is back on stable", w, err))
		}
	}
	return Result{Rows: rows}, nil
}

// toStable sends all traffic of the canaries back to stable, leaving the
// canaries deployed (rollback removes them).
func (e *Env) toStable(ctx context.Context, l *plan.Loaded, releases []Release, states map[string]*ServiceState, canaries []int, rows []Row) error {
	ctx = context.WithoutCancel(ctx)
	return each(ctx, e, canaries, func(ctx context.Context, i int) error {
		r := releases[i]
		rows[i].Weight = 0
		return e.route(ctx, r.Service, 0, true, map[string]string{
			RecordStable: states[r.Service].Stable(), RecordCanary: r.Version, RecordWeight: "0", RecordPhase: PhaseCanary, RecordPlan: l.Ref,
		})
	})
}

// checkCanariesReady re-reads the canaries' Deployments (one list) and
// refuses, as a Negative outcome, when any is not serving.
func (e *Env) checkCanariesReady(ctx context.Context, releases []Release, canaries []int) error {
	names := make([]string, len(canaries))
	for n, i := range canaries {
		names[n] = releases[i].Service
	}
	states, err := e.snapshot(ctx, names)
	if err != nil {
		return err
	}
	var notReady []string
	for _, i := range canaries {
		r := releases[i]
		if ok, rd := states[r.Service].Ready(r.Version); !ok {
			notReady = append(notReady, rd.String())
		}
	}
	if len(notReady) > 0 {
		return outcome.Negativef("refusing to send traffic to canaries that are not ready: %s", strings.Join(notReady, "; "))
	}
	return nil
}
