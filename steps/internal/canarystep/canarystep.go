// Package canarystep turns the inputs every canary step shares into the
// canary.Target the engine takes, and a deploying step's trust inputs into
// the plan check it runs before touching a cluster.
package canarystep

import (
	"context"
	"fmt"
	"time"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/signature"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
	"github.com/aviary-cd/aviary/steps/internal/trust"
)

// Inputs is the part of a step session Target reads; *step.Session has it.
type Inputs interface {
	Name() string
	String(name string) string
	Bool(name string) bool
	Duration(name string) time.Duration
	Getenv(key string) string
}

// Target reads the inputs every canary step shares: the plan, the
// kubeconfig and context, the namespace override, the lock's holder and
// lifetime, and the registry options (read as every step reads them,
// stepinput.Registry: credentials for the plan's registry host only).
func Target(in Inputs) (canary.Target, error) {
	// A namespace no Kubernetes namespace can have is refused (exit 2)
	// before anything is contacted.
	if err := stepinput.Namespace(in); err != nil {
		return canary.Target{}, err
	}
	t := canary.Target{
		Step:          in.Name(),
		Plan:          in.String("plan"),
		Kubeconfig:    in.String("kubeconfig"),
		KubeconfigEnv: in.Getenv("KUBECONFIG"),
		Context:       in.String("context"),
		Namespace:     in.String("namespace"),
		Holder:        in.String("holder"),
		LockTTL:       in.Duration("lock-ttl"),
		LockWait:      in.Duration("lock-wait"),
		// Checked with the step's other timeouts (stepinput.Bounded).
		RequestTimeout: in.Duration(stepinput.RequestTimeout),
	}
	if t.Holder == "" {
		t.Holder = canary.Holder(in.Getenv, t.Step)
	}
	var err error
	t.Registry, err = stepinput.Registry(in, t.Plan, 0)
	return t, err
}

// PlanVerifier returns the check a deploying step runs on the plan it read,
// before it touches a cluster: the same verification as verify-artifacts,
// from the same trust inputs. It returns nil when no trust input is set, so
// pipelines that verify in a job of their own pay nothing. Bad trust inputs
// are outcome.Invalid; a plan that does not verify is a negative outcome
// listing every failure.
func PlanVerifier(in trust.Inputs, reg registry.Options) (func(context.Context, *plan.Loaded) error, error) {
	if !trust.Enabled(in) {
		return nil, nil
	}
	m, pol, err := trust.Read(in)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, l *plan.Loaded) error {
		if _, err := signature.VerifyPlan(ctx, l, signature.TrustOptions{Material: m, Policy: pol, Registry: reg}); err != nil {
			return fmt.Errorf("verifying plan %s before deploying: %w", l.Ref, err)
		}
		return nil
	}, nil
}
