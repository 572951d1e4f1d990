package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/steps/internal/canarystep"
	"github.com/aviary-cd/aviary/steps/internal/stepgate"
)

// newGate builds the gate that judges every weight before the next one: the
// metric analysis (package analysis), or nil when no service is in canary.
var newGate = func(ctx context.Context, s *step.Session, o *canary.Opened) (canary.Gate, error) {
	return stepgate.New(ctx, s, o, analysis.PhaseStep)
}

func run(ctx context.Context, s *step.Session) error {
	opts, err := options(s)
	if err != nil {
		return err
	}
	t, err := canarystep.Target(s)
	if err != nil {
		return err
	}
	ctx, o, done, err := canary.OpenFor(ctx, s, t, nil)
	if err != nil {
		return err
	}
	defer done()
	if !s.IsSet("weight") && len(opts.Steps) == 0 {
		policy := o.Plan.Plan.Config.Canary
		if len(policy.Steps) == 0 {
			return outcome.Invalidf("give weight or steps: the plan's release config has no canary steps either")
		}
		opts.Steps = policy.Steps
	}
	opts.Pause = pause(s.IsSet("pause"), opts.Pause, o.Plan.Plan.Config.Canary.Pause.Duration)
	gate, err := newGate(ctx, s, o)
	if err != nil {
		return err
	}
	opts.Gate = gate
	end := s.Group(fmt.Sprintf("shift-weight %s", o.Plan.Plan.Version))
	res, err := canary.Shift(ctx, o.Env, o.Plan, opts)
	end()
	if len(res.Rows) > 0 {
		s.Summary(fmt.Sprintf("### shift-weight %s\n\n%s", markdown.Text(o.Plan.Plan.Version), res.Markdown()))
		s.SetOutput("weight", strconv.Itoa(lowestCanary(res)))
	}
	stepgate.Report(s, gate)
	return canary.LockLost(ctx, err)
}

// options reads and checks the weight inputs before anything is contacted.
func options(s *step.Session) (canary.ShiftOptions, error) {
	opts := canary.ShiftOptions{Pause: s.Duration("pause")}
	if s.IsSet("pause") && opts.Pause < 0 {
		return opts, outcome.Invalidf("pause %s: give a duration of 0 or more", opts.Pause)
	}
	for _, item := range s.List("steps") {
		w, err := strconv.Atoi(item)
		if err != nil {
			return opts, outcome.Invalidf("steps: %q is not a whole percentage", item)
		}
		opts.Steps = append(opts.Steps, w)
	}
	if s.IsSet("weight") {
		if len(opts.Steps) > 0 {
			return opts, outcome.Invalidf("give weight or steps, not both")
		}
		opts.Weight = s.Int("weight")
		if err := traffic.CheckWeight(opts.Weight); err != nil {
			return opts, fmt.Errorf("weight: %w", err)
		}
	}
	if len(opts.Steps) > 0 {
		if _, err := traffic.Resume(0, opts.Steps); err != nil {
			return opts, fmt.Errorf("steps: %w", err)
		}
	}
	return opts, nil
}

// defaultPause is the pause between weights when neither the input nor
// the release config gives one.
const defaultPause = 30 * time.Second

// pause is the pause input when given (0 included), else the release
// config's canary.pause when it has one, else defaultPause. The adapters
// leave the input empty by default, so that the config can apply.
func pause(set bool, given, config time.Duration) time.Duration {
	switch {
	case set:
		return given
	case config > 0:
		return config
	}
	return defaultPause
}

func lowestCanary(res canary.Result) int {
	w := -1
	for _, r := range res.Rows {
		if r.Canary != "" && (w < 0 || r.Weight < w) {
			w = r.Weight
		}
	}
	return max(w, 0)
}
