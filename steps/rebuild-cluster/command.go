package main

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/canarystep"
)

func run(ctx context.Context, s *step.Session) error {
	t, err := canarystep.Target(s)
	if err != nil {
		return err
	}
	side, ns := s.String("side"), s.String("namespace")
	switch {
	case side == "" && ns == "":
		return outcome.Invalidf("give the side to rebuild: side (its role, cluster or namespace) or namespace")
	case side != "" && ns != "" && side != ns:
		return outcome.Invalidf("side %q and namespace %q name the side to rebuild twice: give one", side, ns)
	case side == "":
		side = ns
	}
	// The namespace input names the side to rebuild, not an override of the
	// topology's namespaces.
	t.Namespace = ""
	t.Timeout = s.Duration("timeout")
	verify, err := canarystep.PlanVerifier(s, t.Registry)
	if err != nil {
		return err
	}
	t.Verify = verify
	ctx, o, done, err := canary.OpenFor(ctx, s, t, nil)
	if err != nil {
		return err
	}
	defer done()
	end := s.Group(fmt.Sprintf("rebuild-cluster %s into %s", o.Plan.Plan.Version, side))
	res, err := canary.Rebuild(ctx, o.Env, o.Plan, canary.RebuildOptions{Passive: side, Switch: s.Bool("switch")})
	end()
	if err != nil {
		return canary.LockLost(ctx, err)
	}
	s.SetOutput("active", res.Active)
	s.SetOutput("passive", res.Passive)
	s.Summary(fmt.Sprintf("### rebuild-cluster %s\n\nactive: %s, passive: %s\n\n%s", markdown.Text(o.Plan.Plan.Version), markdown.Code(res.Active), markdown.Code(res.Passive), res.Markdown()))
	return nil
}
