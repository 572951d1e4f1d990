package canary

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/aviary-cd/aviary/pkg/kube"
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
// one write per route object per weight, written only where the route
// lives. A schedule resumes from the weight in effect (steps below it were
// walked by an earlier run), so running it again never moves traffic back.
// Traffic is never sent to a canary that is not ready.
func Shift(ctx context.Context, e *Env, l *plan.Loaded, opts ShiftOptions) (Result, error) {
	if e.Place.SteppedSwitch() {
		return e.shiftSwitch(ctx, l, opts)
	}
	rel, err := e.load(ctx, l)
	if err != nil {
		return Result{}, err
	}
	rows := rel.rows
	var canaries []int
	var missing []string
	for i, r := range rel.services {
		switch rows[i].Status {
		case InCanary:
			canaries = append(canaries, i)
		case Changed, First:
			missing = append(missing, fmt.Sprintf("%s (stable %s)", r.Service, dash(rows[i].Stable)))
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
	return Result{Rows: rows}, e.walk(ctx, rel, canaries, schedule, opts)
}

// GuardedGate is a Gate that also watches the canaries continuously, as
// the analysis's fast guard does: Shift runs Guard beside the schedule,
// from the first weight to the end, and the moment it returns an error the
// schedule stops — mid-pause or mid-check — and all traffic goes back to
// stable. Guard returns nil once its ctx is done.
type GuardedGate interface {
	Gate
	Guard(ctx context.Context) error
}

// walk sets each weight of the schedule, gated; with a guarded gate, the
// guard runs beside it and cancels it when it trips.
func (e *Env) walk(ctx context.Context, rel *release, canaries, schedule []int, opts ShiftOptions) error {
	g, guarded := opts.Gate.(GuardedGate)
	if !guarded {
		err := e.steps(ctx, rel, canaries, schedule, opts)
		return e.backOnFailure(ctx, rel, canaries, err)
	}
	sctx, stop := context.WithCancelCause(ctx)
	guardDone := make(chan struct{})
	go func() {
		defer close(guardDone)
		if err := g.Guard(sctx); err != nil {
			stop(&guardTrip{err: err})
		}
	}()
	err := e.steps(sctx, rel, canaries, schedule, opts)
	stop(nil)
	<-guardDone
	var trip *guardTrip
	if errors.As(context.Cause(sctx), &trip) && ctx.Err() == nil {
		err = &gateError{weight: lowest(rel, canaries), err: trip.err}
	}
	return e.backOnFailure(ctx, rel, canaries, err)
}

// steps walks the schedule: each weight, its pause, the gate.
func (e *Env) steps(ctx context.Context, rel *release, canaries, schedule []int, opts ShiftOptions) error {
	for n, w := range schedule {
		if w > 0 {
			// The first weight goes by the Deployments the release was
			// just read with; later ones, after a pause, read them again.
			if err := e.checkCanariesReady(ctx, rel, canaries, n > 0); err != nil {
				return err
			}
		}
		if err := e.setCanaryWeight(ctx, rel, canaries, w); err != nil {
			return err
		}
		e.progress("canary weight %d%% on %d services %s", w, len(canaries), Bar(w, 20))
		if n < len(schedule)-1 {
			if err := e.sleep(ctx, opts.Pause); err != nil {
				return err
			}
		}
		if opts.Gate == nil {
			continue
		}
		if err := opts.Gate.Check(ctx, w); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &gateError{weight: w, err: err}
		}
	}
	return nil
}

// guardTrip is the cause of a schedule cancelled by its guard.
type guardTrip struct{ err error }

func (g *guardTrip) Error() string { return g.err.Error() }

// gateError is a gate's (or guard's) no at weight: traffic goes back.
type gateError struct {
	weight int
	err    error
}

func (g *gateError) Error() string { return g.err.Error() }

// backOnFailure sends all traffic back to stable when err is a gate's
// no, and says so; other errors are returned as they are. The write is
// made even if ctx was cancelled meanwhile: it must not be left half done.
func (e *Env) backOnFailure(ctx context.Context, rel *release, canaries []int, err error) error {
	var no *gateError
	if !errors.As(err, &no) {
		return err
	}
	if back := e.setCanaryWeight(context.WithoutCancel(ctx), rel, canaries, 0); back != nil {
		return fmt.Errorf("analysis failed at %d%%: %w; sending traffic back to stable failed too: %w", no.weight, no.err, back)
	}
	e.progress("canary weight 0%% on %d services %s: back on stable", len(canaries), Bar(0, 20))
	return outcome.Negative(fmt.Errorf("analysis failed at %d%%: %w; all traffic is back on stable", no.weight, no.err))
}

// lowest is the lowest weight any of the canaries was set to: the weight
// in effect when the guard tripped.
func lowest(rel *release, canaries []int) int {
	w := 100
	for _, i := range canaries {
		w = min(w, rel.rows[i].Weight)
	}
	return w
}

// setCanaryWeight routes weight percent of each canary's service to it.
func (e *Env) setCanaryWeight(ctx context.Context, rel *release, canaries []int, weight int) error {
	return each(ctx, e, canaries, func(ctx context.Context, i int) error {
		r := rel.services[i]
		st := rel.states[r.Service]
		stable := st.Stable(rel.stable)
		rel.rows[i].Weight = weight
		if err := e.apply(ctx, st, rel.routing.canary(r.Service, label(stable), label(r.Version), weight)); err != nil {
			return err
		}
		return e.save(ctx, st, rel.record(st, PhaseCanary, stable, r.Version, st.Record.Previous))
	})
}

// checkCanariesReady refuses, as a Negative outcome, when any canary is
// not serving: by the Deployments of the canary side as the release was
// read, or, with reread, as one list of them says now.
func (e *Env) checkCanariesReady(ctx context.Context, rel *release, canaries []int, reread bool) error {
	deployment := func(r Release) *appsv1.Deployment {
		return rel.states[r.Service].Deployment(rel.canary, r.Version)
	}
	if reread {
		list, err := e.deployments(ctx, rel.canary.Location)
		if err != nil {
			return err
		}
		byName := map[string]*appsv1.Deployment{}
		for i := range list {
			byName[list[i].Name] = &list[i]
		}
		deployment = func(r Release) *appsv1.Deployment { return byName[DeploymentName(r.Service, r.Version)] }
	}
	var notReady []string
	for _, i := range canaries {
		r := rel.services[i]
		d := deployment(r)
		if d == nil {
			notReady = append(notReady, DeploymentName(r.Service, r.Version)+": not found in "+rel.canary.String())
			continue
		}
		if rd := kube.DeploymentReadiness(d); !rd.Done || rd.Want == 0 {
			notReady = append(notReady, rd.String())
		}
	}
	if len(notReady) > 0 {
		return outcome.Negativef("refusing to send traffic to canaries that are not ready: %s", strings.Join(notReady, "; "))
	}
	return nil
}
