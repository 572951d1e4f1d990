package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/signature"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
	"github.com/aviary-cd/aviary/steps/internal/trust"
)

func run(ctx context.Context, s *step.Session) error {
	material, pol, err := trust.Read(s)
	if err != nil {
		return err
	}
	if s.Int("concurrency") < 1 {
		return outcome.Invalidf("concurrency %d: must be at least 1", s.Int("concurrency"))
	}
	opts, err := stepinput.Registry(s, s.String("plan"), s.Int("concurrency")+4)
	if err != nil {
		return err
	}
	client := registry.New(opts)

	loaded, err := plan.Read(ctx, s.String("plan"), plan.ReadOptions{Client: client})
	if err != nil {
		return err
	}
	s.Progress(fmt.Sprintf("verifying plan %s and %d images", loaded.Ref, len(loaded.Plan.Services)))
	end := s.Group("verify-artifacts")
	rep, verr := signature.VerifyPlan(ctx, loaded, signature.TrustOptions{
		Material: material, Policy: pol, Client: client, Concurrency: s.Int("concurrency"),
	})
	end()
	if outcome.KindOf(verr) == outcome.KindInvalid {
		return verr
	}
	for _, w := range rep.Warnings {
		s.Warning(w)
	}
	if s.System() == step.GitHub {
		// One annotation per failure; the returned error lists them all
		// again in the log.
		for _, f := range rep.Failures() {
			s.Errorf("%s", f)
		}
	}

	path := s.String("report-path")
	if err := writeReport(path, rep); err != nil {
		return err
	}
	s.SetOutput("report", path)
	s.SetOutput("verified", fmt.Sprint(rep.Verified))

	if s.Bool("attach-report") {
		d, err := signature.AttachReport(ctx, client, rep)
		if err != nil {
			if verr != nil {
				s.Errorf("attaching the report to the plan: %v", err)
			} else {
				verr = err
			}
		} else {
			ref, _ := registry.ParseReference(loaded.Ref)
			s.SetOutput("report-ref", ref.WithDigest(d).String())
			s.Log().Info("report attached to the plan", "referrer", ref.WithDigest(d).String())
		}
	}
	s.Summary(summary(rep))
	if verr == nil {
		s.Log().Info("plan verified", "plan", loaded.Ref, "services", len(rep.Services))
	}
	return verr
}

func writeReport(path string, rep signature.Report) error {
	data, err := rep.JSON()
	if err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return outcome.Invalidf("report-path %s: %w", path, err)
		}
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return outcome.Invalidf("report-path %s: %w", path, err)
	}
	return nil
}
