package stepinput

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/stall"
	"github.com/aviary-cd/aviary/pkg/step"
)

// Names of the timeout inputs every step has (see package catalog).
const (
	RequestTimeout = "request-timeout"
	StepTimeout    = "step-timeout"
)

// Durations is the part of a step session durations are read from;
// *step.Session has it.
type Durations interface {
	Duration(name string) time.Duration
}

// Timeouts bound a step's network calls.
type Timeouts struct {
	// Request bounds each try of a request while its peer is silent
	// (request-timeout; see package stall).
	Request time.Duration
	// Step bounds the whole step (step-timeout); 0 is no bound.
	Step time.Duration
}

// ReadTimeouts reads request-timeout and step-timeout. A negative value is
// outcome.Invalid; a request-timeout of 0 takes stall.DefaultTimeout.
func ReadTimeouts(in Durations) (Timeouts, error) {
	t := Timeouts{Request: in.Duration(RequestTimeout), Step: in.Duration(StepTimeout)}
	var errs []error
	if t.Request < 0 {
		errs = append(errs, fmt.Errorf("%s %s: give a positive duration", RequestTimeout, t.Request))
	}
	if t.Step < 0 {
		errs = append(errs, fmt.Errorf("%s %s: give a positive duration, or 0 for no limit", StepTimeout, t.Step))
	}
	if len(errs) > 0 {
		return t, outcome.Invalid(errors.Join(errs...))
	}
	if t.Request == 0 {
		t.Request = stall.DefaultTimeout
	}
	return t, nil
}

// errStepTimeout is the cause of a step context that ran out of
// step-timeout.
var errStepTimeout = errors.New("step-timeout reached")

// Bounded wraps a step's run: it checks the timeout inputs before anything
// else and runs the step under step-timeout. A step still running then has
// StopGrace to return; it ends with an External error saying the
// step-timeout was reached (exit 3), wrapping what it was doing.
//
//	func main() { os.Exit(step.Main(catalog.DeployCanary, stepinput.Bounded(run))) }
func Bounded(run step.RunFunc) step.RunFunc {
	return func(ctx context.Context, s *step.Session) error {
		t, err := ReadTimeouts(s)
		if err != nil {
			return err
		}
		if t.Step == 0 {
			return run(ctx, s)
		}
		sctx, cancel := context.WithTimeoutCause(ctx, t.Step, errStepTimeout)
		defer cancel()
		err = step.Await(sctx, step.StopGrace, func() error { return run(sctx, s) })
		if err != nil && ctx.Err() == nil && errors.Is(context.Cause(sctx), errStepTimeout) {
			return outcome.External(fmt.Errorf("stopped after step-timeout %s: %w", t.Step, err))
		}
		return err
	}
}
