package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/signature"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func run(ctx context.Context, s *step.Session) error {
	weight := s.Int("initial-weight")
	if err := traffic.CheckWeight(weight); err != nil {
		return fmt.Errorf("initial-weight: %w", err)
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
	if !s.IsSet("initial-weight") {
		weight = o.Plan.Plan.Config.Canary.InitialWeight
	}
	end := s.Group(fmt.Sprintf("deploy-canary %s", o.Plan.Plan.Version))
	res, err := canary.Deploy(ctx, o.Env, o.Plan, canary.DeployOptions{InitialWeight: weight})
	end()
	if err != nil {
		return canary.LockLost(ctx, err)
	}
	canaries := res.Services(canary.Changed, canary.InCanary)
	s.SetOutput("changed", strings.Join(canaries, ","))
	s.SetOutput("first-release", strings.Join(res.Services(canary.First), ","))
	s.SetOutput("weight", strconv.Itoa(lowest(res, canaries)))
	s.Summary(fmt.Sprintf("### deploy-canary %s\n\n%s", markdown.Text(o.Plan.Plan.Version), res.Markdown()))
	return nil
}

// lowest is the lowest canary weight among the services, 0 for none.
func lowest(res canary.Result, services []string) int {
	w := -1
	for _, r := range res.Rows {
		for _, s := range services {
			if r.Service == s && (w < 0 || r.Weight < w) {
				w = r.Weight
			}
		}
	}
	return max(w, 0)
}
