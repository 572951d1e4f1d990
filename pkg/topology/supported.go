package topology

import (
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// canarySteps are the steps that release through a canary side.
var canarySteps = []string{"deploy-canary", "shift-weight", "promote", "rollback"}

// Supported reports whether step can drive placement p today, as an Invalid
// error saying what it would need when it cannot. The canary steps drive a
// canary side in the cluster of the stable side and the route;
// rebuild-cluster drives a passive side in the cluster of the route.
// Crossing clusters waits for routing between clusters to be proven
// against a multi-cluster istiod.
func Supported(p Placement, step string) error {
	for _, s := range canarySteps {
		if s != step {
			continue
		}
		stable, _ := p.Part(config.PartStable)
		canary, ok := p.Part(config.PartCanary)
		switch {
		case !ok:
			return outcome.Invalidf("%s: topology %s has no canary side; it releases with rebuild-cluster (rebuild the passive side from the plan, then switch)", step, p.Kind)
		case canary.Context != stable.Context || p.Home().Context != stable.Context || len(p.Routes) > 1:
			return crossing(step, p)
		}
		return nil
	}
	if step == "rebuild-cluster" {
		stable, _ := p.Part(config.PartStable)
		passive, ok := p.Part(config.PartPassive)
		switch {
		case !ok:
			return outcome.Invalidf("%s: topology %s has no passive side to rebuild; it releases with deploy-canary, shift-weight and promote", step, p.Kind)
		case passive.Context != stable.Context || p.Home().Context != stable.Context || len(p.Routes) > 1:
			return crossing(step, p)
		}
		return nil
	}
	return outcome.Invalidf("%s does not act on a topology", step)
}

func crossing(step string, p Placement) error {
	return outcome.Invalidf("%s does not drive topology %s yet: it moves traffic between clusters, which needs a mesh across them (Istio multi-primary with cluster subsets, or a ServiceEntry per cluster's ingress gateway); today it drives topologies within one cluster: single-cluster, canary-namespace, blue-green-namespaces and the canary half of active-passive-canary-namespace", step, p.Kind)
}
