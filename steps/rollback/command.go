package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func run(ctx context.Context, s *step.Session) error {
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
	end := s.Group(fmt.Sprintf("rollback %s", o.Plan.Plan.Version))
	res, err := canary.Rollback(ctx, o.Env, o.Plan)
	end()
	if len(res.Rows) > 0 {
		s.Summary(fmt.Sprintf("### rollback %s\n\n%s", markdown.Text(o.Plan.Plan.Version), res.Markdown()))
	}
	if err != nil {
		return canary.LockLost(ctx, err)
	}
	s.SetOutput("rolled-back", strings.Join(res.Services(canary.RolledBack), ","))
	return nil
}
