package topology

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// Rule is a DestinationRule aviary keeps for Host, in Namespace of every
// cluster the route lives in, and the subsets of it aviary owns.
//
// Istio looks a host's DestinationRule up in the client's namespace, then
// in the host's own namespace, then in the root namespace. A rule is put
// in the host's namespace: there it applies to the clients of every
// namespace, while a rule beside the VirtualService in another namespace
// would apply to that namespace's clients only, leaving the others
// without the subset the route names.
type Rule struct {
	Namespace string
	Host      string
	Subsets   []traffic.Subset
}

// Reach is how one version of a service on one side is reached: the
// route's destinations, the subsets they need, and the hosts of another
// mesh they name (each a ServiceEntry beside the route).
type Reach struct {
	Destinations []traffic.Destination
	Rules        []Rule
	Entries      []Entry
}

// Entry is a host of another mesh reached through that cluster's ingress
// gateway: a ServiceEntry beside the route, resolving Host to Address
// (host:port), and, in the other cluster, its ingress gateway's route from
// Host to the service's local host.
type Entry struct {
	// Service is the service reached, Namespace its namespace in the other
	// cluster.
	Service, Namespace string
	Host               string
	Address            string
}

// Strategy decides, for one separation, how each side's version of a
// service is reached. The states a route goes through (CanaryState,
// StableState, PromoteStates) are built from it alike for every separation.
type Strategy interface {
	// Stable is how the stable side's version (a version label value) is
	// reached.
	Stable(service, version string) Reach
	// Canary is how the canary side's version is reached.
	Canary(service, version string) Reach
	// Rules are the DestinationRules the strategy keeps for the service,
	// without subsets.
	Rules(service string) []Rule
}

// NewStrategy returns the strategy of separation sep between a stable and
// a canary side (for a blue/green switch: the side serving and the other).
func NewStrategy(sep config.Separation, stable, canary Side) (Strategy, error) {
	switch sep {
	case config.VersionSubsets:
		return versionSubsets{stable.Namespace}, nil
	case config.HostPerNamespace:
		return hostPerNamespace{stable.Namespace, canary.Namespace}, nil
	case config.ClusterSubsets:
		return clusterSubsets{stable.Namespace, stable.ClusterID, canary.ClusterID}, nil
	case config.RemoteHost:
		return remoteHost{stable.Namespace, canary.Namespace, canary.ClusterID, canary.Ingress}, nil
	}
	return nil, outcome.Invalidf("no strategy for separation %q", sep)
}

// versionSubsets: one host, a subset per version label.
type versionSubsets struct{ namespace string }

func (s versionSubsets) reach(service, subset string, labels map[string]string) Reach {
	host := Host(service, s.namespace)
	return Reach{
		Destinations: []traffic.Destination{{Host: host, Subset: subset}},
		Rules:        []Rule{{Namespace: s.namespace, Host: host, Subsets: []traffic.Subset{{Name: subset, Labels: labels}}}},
	}
}

func (s versionSubsets) Stable(service, version string) Reach {
	return s.reach(service, StableSubset, map[string]string{VersionLabel: version})
}

func (s versionSubsets) Canary(service, version string) Reach {
	return s.reach(service, CanarySubset, map[string]string{VersionLabel: version})
}

func (s versionSubsets) Rules(service string) []Rule {
	return []Rule{{Namespace: s.namespace, Host: Host(service, s.namespace)}}
}

// hostPerNamespace: each side's namespace is a host of its own; a subset
// of each picks the version, so that a side running two versions for a
// moment (a canary replacing an earlier one, a promotion rolling out)
// serves only the one routed to.
type hostPerNamespace struct{ stable, canary string }

func (s hostPerNamespace) Stable(service, version string) Reach {
	return versionSubsets{s.stable}.Stable(service, version)
}

func (s hostPerNamespace) Canary(service, version string) Reach {
	return versionSubsets{s.canary}.Canary(service, version)
}

func (s hostPerNamespace) Rules(service string) []Rule {
	return append(versionSubsets{s.stable}.Rules(service), versionSubsets{s.canary}.Rules(service)...)
}

// clusterSubsets: one host across the clusters of one mesh (namespace
// sameness), a subset per cluster ID and version.
type clusterSubsets struct{ namespace, stable, canary string }

func (s clusterSubsets) Stable(service, version string) Reach {
	return versionSubsets{s.namespace}.reach(service, StableSubset, map[string]string{ClusterLabel: s.stable, VersionLabel: version})
}

func (s clusterSubsets) Canary(service, version string) Reach {
	return versionSubsets{s.namespace}.reach(service, CanarySubset, map[string]string{ClusterLabel: s.canary, VersionLabel: version})
}

func (s clusterSubsets) Rules(service string) []Rule {
	return versionSubsets{s.namespace}.Rules(service)
}

// remoteHost: separate meshes; the canary cluster is reached through a
// host of its own that a ServiceEntry resolves to its ingress gateway.
type remoteHost struct{ stable, canary, cluster, ingress string }

// RemoteHost is the host under which a service of namespace in another
// mesh, the cluster with Istio cluster ID cluster, is reached.
func RemoteHost(service, namespace, cluster string) string {
	return fmt.Sprintf("%s.%s.%s.global", service, namespace, cluster)
}

func (s remoteHost) Stable(service, version string) Reach {
	return versionSubsets{s.stable}.Stable(service, version)
}

func (s remoteHost) Canary(service, _ string) Reach {
	host := RemoteHost(service, s.canary, s.cluster)
	return Reach{
		Destinations: []traffic.Destination{{Host: host}},
		Entries:      []Entry{{Service: service, Namespace: s.canary, Host: host, Address: s.ingress}},
	}
}

func (s remoteHost) Rules(service string) []Rule { return versionSubsets{s.stable}.Rules(service) }

// State is what a service's route objects say at one moment.
type State struct {
	// Groups are the weights of aviary's route; nil leaves it as it is.
	Groups []traffic.Group
	// Rules are every DestinationRule the strategy keeps with exactly the
	// subsets aviary owns in it (see Subsets); a rule without subsets has
	// aviary's removed.
	Rules []Rule
}

// CanaryState routes weight percent to the canary version and the rest to
// stable.
func CanaryState(st Strategy, service, stable, canary string, weight int) State {
	s, c := st.Stable(service, stable), st.Canary(service, canary)
	return State{
		Groups: traffic.Split(weight, s.Destinations, c.Destinations),
		Rules:  fill(st.Rules(service), s, c),
	}
}

// StableState routes everything to the stable side's version and drops the
// canary's subsets.
func StableState(st Strategy, service, version string) State {
	s := st.Stable(service, version)
	return State{
		Groups: []traffic.Group{{Weight: 100, Destinations: s.Destinations}},
		Rules:  fill(st.Rules(service), s),
	}
}

// PromoteStates are the states that make version to, the canary, stable:
// first the stable side's subset selects to (the canary keeps its weight,
// and to must already run, ready, on the stable side), then everything goes
// to the stable side and the canary's subsets go. Every state routes only
// to from or to, and applying them again from the start after any of them
// moves no traffic back to from.
func PromoteStates(st Strategy, service, to string) []State {
	return []State{
		{Rules: fill(st.Rules(service), st.Stable(service, to), st.Canary(service, to))},
		StableState(st, service, to),
	}
}

// fill gives each rule of places the subsets the reaches need of it.
func fill(places []Rule, reaches ...Reach) []Rule {
	out := make([]Rule, len(places))
	for i, p := range places {
		out[i] = Rule{Namespace: p.Namespace, Host: p.Host}
		for _, r := range reaches {
			for _, rule := range r.Rules {
				if rule.Namespace == p.Namespace && rule.Host == p.Host {
					out[i].Subsets = append(out[i].Subsets, rule.Subsets...)
				}
			}
		}
	}
	return out
}

// Owned returns the subsets of ss that aviary owns, by name.
func Owned(ss []traffic.Subset) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range ss {
		if slices.Contains(Subsets, s.Name) {
			out[s.Name] = maps.Clone(s.Labels)
		}
	}
	return out
}
