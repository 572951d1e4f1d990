package main

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/canarystep"
	"github.com/aviary-cd/aviary/steps/internal/stepgate"
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
	// The gate is built, and its queries checked, before anything is
	// applied.
	gate, err := stepgate.NewRebuild(ctx, s, o, side, s.Bool("analyze"))
	if err != nil {
		return err
	}
	end := s.Group(fmt.Sprintf("rebuild-cluster %s into %s", o.Plan.Plan.Version, side))
	res, err := canary.Rebuild(ctx, o.Env, o.Plan, canary.RebuildOptions{Passive: side, Switch: s.Bool("switch"), PassiveReplicas: s.Int("passive-replicas"), Gate: gate})
	end()
	if res.Gate != "" {
		s.SetOutput("gate", res.Gate)
		defer stepgate.Report(s, gate)
	}
	if res.Active != "" {
		s.SetOutput("active", res.Active)
		s.SetOutput("passive", res.Passive)
	}
	if err != nil {
		if res.Gate == canary.GateFailed {
			s.Summary(fmt.Sprintf("### rebuild-cluster %s: not switched\n\n%s rebuilt, but its gate refused the switch: %s\n\n%s",
				markdown.Text(o.Plan.Plan.Version), markdown.Code(side), markdown.Text(err.Error()), res.Markdown()))
		}
		return canary.LockLost(ctx, err)
	}
	s.Summary(fmt.Sprintf("### rebuild-cluster %s\n\nactive: %s, passive: %s\n\n%s", markdown.Text(o.Plan.Plan.Version), markdown.Code(res.Active), markdown.Code(res.Passive), res.Markdown()))
	return nil
}
