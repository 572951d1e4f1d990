package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/analysis/stepgate"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

// newGate builds the gate consulted once before promoting: the metric
// analysis (package analysis), or nil when no service is in canary.
var newGate = func(ctx context.Context, s *step.Session, o *canary.Opened) (canary.Gate, error) {
	return stepgate.New(ctx, s, o, analysis.PhasePromotion)
}

func run(ctx context.Context, s *step.Session) error {
	passive := s.Int("passive-replicas")
	if passive < 0 {
		return outcome.Invalidf("passive-replicas %d: give 0 or more", passive)
	}
	t := canary.TargetOf(s)
	if err := stepinput.Namespace(s); err != nil {
		return err
	}
	var err error
	if t.Registry, err = stepinput.Registry(s, t.Plan, 0); err != nil {
		return err
	}
	t.Timeout = s.Duration("timeout")
	ctx, o, done, err := canary.OpenFor(ctx, s, t, nil)
	if err != nil {
		return err
	}
	defer done()
	gate, err := newGate(ctx, s, o)
	if err != nil {
		return err
	}
	end := s.Group(fmt.Sprintf("promote %s", o.Plan.Plan.Version))
	res, err := canary.Promote(ctx, o.Env, o.Plan, canary.PromoteOptions{PassiveReplicas: passive, Gate: gate})
	end()
	if len(res.Rows) > 0 {
		s.Summary(fmt.Sprintf("### promote %s\n\n%s", markdown.Text(o.Plan.Plan.Version), res.Markdown()))
	}
	stepgate.Report(s, gate)
	if err != nil {
		return canary.LockLost(ctx, err)
	}
	s.SetOutput("promoted", strings.Join(res.Services(canary.InCanary, canary.IsStable), ","))
	return nil
}
