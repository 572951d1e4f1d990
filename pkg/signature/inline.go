package signature

import (
	"context"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// PlanVerifier returns the check a deploying step runs on the plan it read,
// before it touches a cluster: the same verification as verify-artifacts,
// from the same trust inputs. It returns nil when no trust input is set, so
// pipelines that verify in a job of their own pay nothing. Bad trust inputs
// are outcome.Invalid; a plan that does not verify is a negative outcome
// listing every failure.
func PlanVerifier(in Inputs, reg registry.Options) (func(context.Context, *plan.Loaded) error, error) {
	if !Enabled(in) {
		return nil, nil
	}
	m, pol, err := FromInputs(in)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, l *plan.Loaded) error {
		if _, err := VerifyPlan(ctx, l, TrustOptions{Material: m, Policy: pol, Registry: reg}); err != nil {
			return fmt.Errorf("verifying plan %s before deploying: %w", l.Ref, err)
		}
		return nil
	}, nil
}
