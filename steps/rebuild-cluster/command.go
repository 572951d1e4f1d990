package main

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/signature"
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
	// The namespace input names the side to rebuild, not an override of the
	// topology's namespaces.
	t.Namespace = ""
	t.Timeout = s.Duration("timeout")
	verify, err := signature.PlanVerifier(s, t.Registry)
	if err != nil {
		return err
	}
	t.Verify = verify
	ctx, o, done, err := canary.OpenFor(ctx, s, t, nil)
	if err != nil {
		return err
	}
	defer done()
	end := s.Group(fmt.Sprintf("rebuild-cluster %s into %s", o.Plan.Plan.Version, s.String("namespace")))
	res, err := canary.Rebuild(ctx, o.Env, o.Plan, canary.RebuildOptions{Passive: s.String("namespace"), Switch: s.Bool("switch")})
	end()
	if err != nil {
		return canary.LockLost(ctx, err)
	}
	s.SetOutput("active", res.Active)
	s.SetOutput("passive", res.Passive)
	s.Summary(fmt.Sprintf("### rebuild-cluster %s\n\nactive: %s, passive: %s\n\n%s", markdown.Text(o.Plan.Plan.Version), markdown.Code(res.Active), markdown.Code(res.Passive), res.Markdown()))
	return nil
}
