package main

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/steps/internal/canarystep"
	"github.com/aviary-cd/aviary/steps/internal/stepgate"
)

func run(ctx context.Context, s *step.Session) error {
	t, err := canarystep.Target(s)
	if err != nil {
		return err
	}
	opts, err := switchOptions(s)
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
	if opts.Stepped && !s.IsSet("initial-weight") {
		opts.InitialWeight = o.Plan.Plan.Config.Canary.InitialWeight
	}
	opts.Passive, opts.PassiveReplicas, opts.Gate = side, s.Int("passive-replicas"), gate
	end := s.Group(fmt.Sprintf("rebuild-cluster %s into %s", o.Plan.Plan.Version, side))
	res, err := canary.Rebuild(ctx, o.Env, o.Plan, opts)
	end()
	if res.Gate != "" {
		s.SetOutput("gate", res.Gate)
		defer stepgate.Report(s, gate)
	}
	if res.Active != "" {
		s.SetOutput("active", res.Active)
		s.SetOutput("passive", res.Passive)
		s.SetOutput("switching", res.Switching)
	}
	if err != nil {
		if res.Gate == canary.GateFailed {
			s.Summary(fmt.Sprintf("### rebuild-cluster %s: not switched\n\n%s rebuilt, but its gate refused the switch: %s\n\n%s",
				markdown.Text(o.Plan.Plan.Version), markdown.Code(side), markdown.Text(err.Error()), res.Markdown()))
		}
		return canary.LockLost(ctx, err)
	}
	switching := ""
	if res.Switching != "" {
		switching = fmt.Sprintf(", switching to %s step by step", markdown.Code(res.Switching))
	}
	s.Summary(fmt.Sprintf("### rebuild-cluster %s\n\nactive: %s, passive: %s%s\n\n%s", markdown.Text(o.Plan.Plan.Version), markdown.Code(res.Active), markdown.Code(res.Passive), switching, res.Markdown()))
	return nil
}

// switchOptions reads the switch input (true, false or stepped) and, for
// a stepped switch, the initial weight, before anything is contacted.
func switchOptions(s *step.Session) (canary.RebuildOptions, error) {
	var opts canary.RebuildOptions
	switch v := s.String("switch"); v {
	case "true", "":
		opts.Switch = true
	case "false":
	case "stepped":
		opts.Stepped = true
	default:
		return opts, outcome.Invalidf("switch %q: give true, false or stepped", v)
	}
	if s.IsSet("initial-weight") {
		if !opts.Stepped {
			return opts, outcome.Invalidf("initial-weight is for switch stepped; switch is %q", s.String("switch"))
		}
		opts.InitialWeight = s.Int("initial-weight")
		if err := traffic.CheckWeight(opts.InitialWeight); err != nil {
			return opts, fmt.Errorf("initial-weight: %w", err)
		}
	}
	return opts, nil
}
