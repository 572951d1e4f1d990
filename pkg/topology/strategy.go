package topology

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// Rule is a DestinationRule aviary keeps for Host, in Namespace of the
// cluster of kubeconfig context Cluster, and the subsets of it aviary owns:
// a rule of a route place's own hosts lives in that route place's cluster;
// with separate meshes, the rule of a side reached through its ingress
// gateway lives in the side's cluster, where that gateway picks the
// version.
//
// Istio looks a host's DestinationRule up in the client's namespace, then
// in the host's own namespace, then in the root namespace. A rule is put
// in the host's namespace: there it applies to the clients of every
// namespace, while a rule beside the VirtualService in another namespace
// would apply to that namespace's clients only, leaving the others
// without the subset the route names.
type Rule struct {
	Cluster   string
	Namespace string
	Host      string
	Subsets   []traffic.Subset
}

// Key names the rule's DestinationRule: cluster (kubeconfig context) and
// namespace; the rule is named after its service.
func (r Rule) Key() string { return r.Cluster + "/" + r.Namespace }

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
// Host to the Subset of the service's local host there.
type Entry struct {
	// Service is the service reached; Side is the side it runs on (its
	// role, cluster and namespace).
	Service string
	Side    Side
	Host    string
	Address string
	// Subset is the subset of the service's host in the side's cluster
	// that the ingress gateway routes Host to (its Rule is in Reach.Rules).
	Subset string
}

// Name names the objects of the entry: the ServiceEntry beside the route,
// the Gateway and VirtualService at the side's ingress:
// aviary-remote-<service>-<role>.
func (en Entry) Name() string { return "aviary-remote-" + en.Service + "-" + string(en.Side.Role) }

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
// a canary side (for a blue/green switch: the side serving and the other),
// as the route at route place at reaches them.
func NewStrategy(sep config.Separation, stable, canary Side, at Location) (Strategy, error) {
	switch sep {
	case config.VersionSubsets:
		return versionSubsets{at.Context, stable.Namespace}, nil
	case config.HostPerNamespace:
		return hostPerNamespace{at.Context, stable.Namespace, canary.Namespace}, nil
	case config.ClusterSubsets:
		return clusterSubsets{at.Context, stable.Namespace, stable.ClusterID, canary.ClusterID}, nil
	case config.RemoteHost:
		return remoteHost{at: at, stable: stable, canary: canary}, nil
	}
	return nil, outcome.Invalidf("no strategy for separation %q", sep)
}

// SwitchStrategy is NewStrategy for a blue/green switch of separation sep
// from the side serving to the other one, as the route at at reaches
// them. Across separate meshes each side is reached from the other mesh
// at its stable subset, whichever part it plays in the switch: its
// ingress gateway routes there once it is rebuilt (the subset then
// selects the version it serves or is being switched to), so that a
// stepped switch, whose side switched to plays the canary's part until
// promote, never renames the subset an ingress gateway routes to.
func SwitchStrategy(sep config.Separation, serving, other Side, at Location) (Strategy, error) {
	if sep == config.RemoteHost {
		return remoteHost{at: at, stable: serving, canary: other, ingress: StableSubset}, nil
	}
	return NewStrategy(sep, serving, other, at)
}

// versionSubsets: one host, a subset per version label, its rule in the
// cluster of the route place.
type versionSubsets struct{ cluster, namespace string }

func (s versionSubsets) reach(service, subset string, labels map[string]string) Reach {
	host := Host(service, s.namespace)
	return Reach{
		Destinations: []traffic.Destination{{Host: host, Subset: subset}},
		Rules:        []Rule{{Cluster: s.cluster, Namespace: s.namespace, Host: host, Subsets: []traffic.Subset{{Name: subset, Labels: labels}}}},
	}
}

func (s versionSubsets) Stable(service, version string) Reach {
	return s.reach(service, StableSubset, map[string]string{VersionLabel: version})
}

func (s versionSubsets) Canary(service, version string) Reach {
	return s.reach(service, CanarySubset, map[string]string{VersionLabel: version})
}

func (s versionSubsets) Rules(service string) []Rule {
	return []Rule{{Cluster: s.cluster, Namespace: s.namespace, Host: Host(service, s.namespace)}}
}

// hostPerNamespace: each side's namespace is a host of its own; a subset
// of each picks the version, so that a side running two versions for a
// moment (a canary replacing an earlier one, a promotion rolling out)
// serves only the one routed to.
type hostPerNamespace struct{ cluster, stable, canary string }

func (s hostPerNamespace) Stable(service, version string) Reach {
	return versionSubsets{s.cluster, s.stable}.Stable(service, version)
}

func (s hostPerNamespace) Canary(service, version string) Reach {
	return versionSubsets{s.cluster, s.canary}.Canary(service, version)
}

func (s hostPerNamespace) Rules(service string) []Rule {
	return append(versionSubsets{s.cluster, s.stable}.Rules(service), versionSubsets{s.cluster, s.canary}.Rules(service)...)
}

// clusterSubsets: one host across the clusters of one mesh (namespace
// sameness), a subset per cluster ID and version.
type clusterSubsets struct{ cluster, namespace, stable, canary string }

func (s clusterSubsets) Stable(service, version string) Reach {
	return versionSubsets{s.cluster, s.namespace}.reach(service, StableSubset, map[string]string{ClusterLabel: s.stable, VersionLabel: version})
}

func (s clusterSubsets) Canary(service, version string) Reach {
	return versionSubsets{s.cluster, s.namespace}.reach(service, CanarySubset, map[string]string{ClusterLabel: s.canary, VersionLabel: version})
}

func (s clusterSubsets) Rules(service string) []Rule {
	return versionSubsets{s.cluster, s.namespace}.Rules(service)
}

// remoteHost: separate meshes. A side in the route place's cluster is
// reached by version subsets of its namespace's host; a side in another
// cluster through a host of its own that a ServiceEntry beside the route
// resolves to that cluster's ingress gateway, which routes it to a subset
// of the service's host there (its rule lives in that cluster).
type remoteHost struct {
	at             Location
	stable, canary Side
	// ingress, when set, is the subset every side is reached at through
	// its ingress gateway (see SwitchStrategy); else a side is reached at
	// the subset of the part it plays.
	ingress string
}

// RemoteHost is the host under which a service of namespace in another
// mesh, the cluster with Istio cluster ID cluster, is reached.
func RemoteHost(service, namespace, cluster string) string {
	return fmt.Sprintf("%s.%s.%s.global", service, namespace, cluster)
}

// remoteID is the name of side's cluster in its remote hosts: its Istio
// cluster ID, else its role.
func remoteID(side Side) string {
	if side.ClusterID != "" {
		return side.ClusterID
	}
	return string(side.Role)
}

func (s remoteHost) local(side Side) bool { return side.Context == s.at.Context }

func (s remoteHost) reach(service string, side Side, subset, version string) Reach {
	labels := map[string]string{VersionLabel: version}
	if s.local(side) {
		return versionSubsets{s.at.Context, side.Namespace}.reach(service, subset, labels)
	}
	if s.ingress != "" {
		subset = s.ingress
	}
	host := RemoteHost(service, side.Namespace, remoteID(side))
	return Reach{
		Destinations: []traffic.Destination{{Host: host}},
		Rules:        []Rule{{Cluster: side.Context, Namespace: side.Namespace, Host: Host(service, side.Namespace), Subsets: []traffic.Subset{{Name: subset, Labels: labels}}}},
		Entries:      []Entry{{Service: service, Side: side, Host: host, Address: side.Ingress, Subset: subset}},
	}
}

func (s remoteHost) Stable(service, version string) Reach {
	return s.reach(service, s.stable, StableSubset, version)
}

func (s remoteHost) Canary(service, version string) Reach {
	return s.reach(service, s.canary, CanarySubset, version)
}

func (s remoteHost) Rules(service string) []Rule {
	var out []Rule
	for _, side := range []Side{s.stable, s.canary} {
		cluster := side.Context
		if s.local(side) {
			cluster = s.at.Context
		}
		r := Rule{Cluster: cluster, Namespace: side.Namespace, Host: Host(service, side.Namespace)}
		if !slices.ContainsFunc(out, func(o Rule) bool { return o.Key() == r.Key() && o.Host == r.Host }) {
			out = append(out, r)
		}
	}
	return out
}

// State is what a service's route objects at one route place say at one
// moment.
type State struct {
	// Groups are the weights of aviary's route; nil leaves it as it is.
	Groups []traffic.Group
	// Rules are every DestinationRule the strategy keeps with exactly the
	// subsets aviary owns in it (see Subsets); a rule without subsets has
	// aviary's removed.
	Rules []Rule
	// Entries are the hosts of other meshes the route names (or is about
	// to): their ServiceEntries must be beside it first.
	Entries []Entry
}

// CanaryState routes weight percent to the canary version and the rest to
// stable.
func CanaryState(st Strategy, service, stable, canary string, weight int) State {
	s, c := st.Stable(service, stable), st.Canary(service, canary)
	return State{
		Groups:  traffic.Split(weight, s.Destinations, c.Destinations),
		Rules:   fill(st.Rules(service), s, c),
		Entries: append(slices.Clone(s.Entries), c.Entries...),
	}
}

// StableState routes everything to the stable side's version and drops the
// canary's subsets.
func StableState(st Strategy, service, version string) State {
	s := st.Stable(service, version)
	return State{
		Groups:  []traffic.Group{{Weight: 100, Destinations: s.Destinations}},
		Rules:   fill(st.Rules(service), s),
		Entries: s.Entries,
	}
}

// PromoteStates are the states that make version to, the canary, stable:
// first the stable side's subset selects to (the canary keeps its weight,
// and to must already run, ready, on the stable side), then everything goes
// to the stable side and the canary's subsets go. Every state routes only
// to from or to, and applying them again from the start after any of them
// moves no traffic back to from.
func PromoteStates(st Strategy, service, to string) []State {
	s, c := st.Stable(service, to), st.Canary(service, to)
	return []State{
		{Rules: fill(st.Rules(service), s, c), Entries: append(slices.Clone(s.Entries), c.Entries...)},
		StableState(st, service, to),
	}
}

// fill gives each rule of places the subsets the reaches need of it.
func fill(places []Rule, reaches ...Reach) []Rule {
	out := make([]Rule, len(places))
	for i, p := range places {
		out[i] = Rule{Cluster: p.Cluster, Namespace: p.Namespace, Host: p.Host}
		for _, r := range reaches {
			for _, rule := range r.Rules {
				if rule.Key() == p.Key() && rule.Host == p.Host {
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
