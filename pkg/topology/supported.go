package topology

import (
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// canarySteps are the steps that release through a canary side.
var canarySteps = []string{"deploy-canary", "shift-weight", "promote", "rollback"}

// Supported reports whether step can drive placement p today, as an Invalid
// error saying what it would need when it cannot. The canary steps drive a
// placement with a canary side, rebuild-cluster one with a passive side.
// Sides and routes in several clusters are driven as one mesh (cluster
// subsets: Istio multi-primary or primary-remote across the clusters).
// Separate meshes (a remote host per cluster's ingress gateway) are not
// driven yet.
func Supported(p Placement, step string) error {
	for _, s := range canarySteps {
		if s != step {
			continue
		}
		if _, ok := p.Part(config.PartCanary); !ok {
			return outcome.Invalidf("%s: topology %s has no canary side; it releases with rebuild-cluster (rebuild the passive side from the plan, then switch)", step, p.Kind)
		}
		return separate(step, p, p.Canary)
	}
	if step == "rebuild-cluster" {
		if _, ok := p.Part(config.PartPassive); !ok {
			return outcome.Invalidf("%s: topology %s has no passive side to rebuild; it releases with deploy-canary, shift-weight and promote", step, p.Kind)
		}
		return separate(step, p, p.Switch)
	}
	return outcome.Invalidf("%s does not act on a topology", step)
}

// separate refuses the separations no step drives yet: separate meshes
// are driven where the route lives beside the stable side and reaches the
// canary cluster through its ingress gateway (delta-canary-cluster,
// rebuilt-canary-cluster); a blue/green switch or a gateway cluster across
// separate meshes is not.
func separate(step string, p Placement, sep config.Separation) error {
	if sep != config.RemoteHost {
		return nil
	}
	stable, _ := p.Part(config.PartStable)
	local := step != "rebuild-cluster" && len(p.Routes) == 1 && p.Home().Context == stable.Context
	if !local {
		return outcome.Invalidf("%s does not drive topology %s across separate meshes yet: separate meshes are driven when the route lives in the stable cluster (delta-canary-cluster, rebuilt-canary-cluster); join the clusters in one mesh (topology.mesh: one) for %s", step, p.Kind, p.Kind)
	}
	return nil
}
