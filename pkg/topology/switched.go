package topology

import (
	"slices"

	"github.com/aviary-cd/aviary/pkg/config"
)

// Switched returns the sides of p's canary half once its blue/green has
// switched to the side of role serving (active-passive-canary-namespace
// after a cluster switch): the serving side is the stable one, and the
// canary namespace moves into its cluster. ok is false when p has no
// canary half or serving is p's stable side already.
func (p Placement) Switched(serving config.Role) (stable, canary Side, ok bool) {
	stable, hasStable := p.Part(config.PartStable)
	canary, hasCanary := p.Part(config.PartCanary)
	passive, hasPassive := p.Part(config.PartPassive)
	if !hasStable || !hasCanary || !hasPassive || serving != passive.Role {
		return stable, canary, false
	}
	moved := canary
	moved.Parts = slices.Clone(canary.Parts)
	moved.Context, moved.ClusterID, moved.Ingress = passive.Context, passive.ClusterID, passive.Ingress
	return passive, moved, true
}

// CanaryStrategy is the strategy that tells the canary side's versions
// from the stable side's, as the route at at reaches them: NewStrategy of
// p.Canary, except for a canary half beside a blue/green of clusters
// (active-passive-canary-namespace), whose sides may be in another
// cluster than the route once the clusters switched: with one mesh each
// namespace's subsets also select the side's cluster ID, with separate
// meshes a side in another cluster is reached through its ingress.
func (p Placement) CanaryStrategy(stable, canary Side, at Location) (Strategy, error) {
	if p.Canary == config.HostPerNamespace {
		switch p.Switch {
		case config.ClusterSubsets:
			return clusterHosts{at.Context, stable, canary}, nil
		case config.RemoteHost:
			return NewStrategy(config.RemoteHost, stable, canary, at)
		}
	}
	return NewStrategy(p.Canary, stable, canary, at)
}

// clusterHosts: a host per namespace across the clusters of one mesh, a
// subset of each selecting the side's cluster ID and the version.
type clusterHosts struct {
	cluster        string
	stable, canary Side
}

func (s clusterHosts) Stable(service, version string) Reach {
	return versionSubsets{s.cluster, s.stable.Namespace}.reach(service, StableSubset, map[string]string{ClusterLabel: s.stable.ClusterID, VersionLabel: version})
}

func (s clusterHosts) Canary(service, version string) Reach {
	return versionSubsets{s.cluster, s.canary.Namespace}.reach(service, CanarySubset, map[string]string{ClusterLabel: s.canary.ClusterID, VersionLabel: version})
}

func (s clusterHosts) Rules(service string) []Rule {
	return hostPerNamespace{s.cluster, s.stable.Namespace, s.canary.Namespace}.Rules(service)
}
