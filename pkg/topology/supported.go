package topology

import (
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// canarySteps are the steps that release through a canary side.
var canarySteps = []string{"deploy-canary", "shift-weight", "promote", "rollback"}

// Supported reports whether step can drive placement p today, as an Invalid
// error saying what it would need when it cannot. The canary steps drive a
// placement with a canary side, rebuild-cluster one with a passive side or
// one rebuilt in place (see Placement.RebuildsInPlace); the canary steps
// also drive a blue/green without a canary side, moving its stepped switch
// (see SteppedSwitch).
// Sides and routes in several clusters are driven as one mesh (cluster
// subsets: Istio multi-primary or primary-remote across the clusters) or
// as separate meshes (a remote host per other cluster, reached through its
// ingress gateway), a stepped switch included (see SwitchStrategy).
func Supported(p Placement, step string) error {
	for _, s := range canarySteps {
		if s != step {
			continue
		}
		if movesSwitch(p, step) {
			return nil
		}
		if _, ok := p.Part(config.PartCanary); !ok {
			return outcome.Invalidf("%s: topology %s has no canary side; it releases with rebuild-cluster (rebuild the passive side from the plan, then switch at once, or with switch stepped move traffic with shift-weight, promote and rollback)", step, p.Kind)
		}
		return nil
	}
	if step == "rebuild-cluster" {
		if _, ok := p.Part(config.PartPassive); !ok && !p.RebuildsInPlace() {
			return outcome.Invalidf("%s: topology %s has no passive side to rebuild; it releases with deploy-canary, shift-weight and promote", step, p.Kind)
		}
		return nil
	}
	return outcome.Invalidf("%s does not act on a topology", step)
}
