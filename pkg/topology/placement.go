package topology

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// Labels aviary puts on workloads and selects subsets by.
const (
	// VersionLabel carries a workload's release version (as a label value).
	VersionLabel = "aviary.dev/version"
	// AppLabel names the service a workload belongs to; the Service
	// selects on it alone, so that every version is behind it.
	AppLabel = "app"
	// ClusterLabel is the label Istio puts on endpoints of each cluster of
	// a multi-cluster mesh.
	ClusterLabel = "topology.istio.io/cluster"
)

// Subset names of the two versions of a service.
const (
	StableSubset = "stable"
	CanarySubset = "canary"
)

// Location is a cluster (empty: the step's own) and a namespace.
type Location struct {
	Cluster   string
	Namespace string
}

func (l Location) String() string {
	if l.Cluster == "" {
		return l.Namespace
	}
	return l.Cluster + "/" + l.Namespace
}

// Scope says which services the canary side runs.
type Scope string

const (
	// Changed: only the services whose version changed.
	Changed Scope = "changed"
	// All: every service of the release (the side is rebuilt whole).
	All Scope = "all"
)

// Separation says how the mesh tells the stable and canary versions apart.
type Separation string

const (
	// ByVersion: one host, subsets selecting the version label.
	ByVersion Separation = "version-subsets"
	// ByHost: a host per namespace.
	ByHost Separation = "host"
	// ByCluster: one host across clusters, subsets selecting the cluster label.
	ByCluster Separation = "cluster-subsets"
)

// Placement is where a topology puts each object of a release.
type Placement struct {
	Kind config.TopologyKind
	// Route is where each service's VirtualService and DestinationRule live.
	Route Location
	// Stable and Canary are where the two versions' workloads run (for the
	// active/passive kinds: the active and the passive side).
	Stable, Canary Location
	// Scope says which services the canary side runs.
	Scope Scope
	// Separation says how destinations tell the versions apart.
	Separation Separation
}

// Place decides the placement of topology t. namespace, when not empty,
// overrides the namespace of a single-cluster topology (the steps'
// namespace input); for any other kind it must be empty.
func Place(t config.Topology, namespace string) (Placement, error) {
	p := Placement{Kind: t.Kind}
	if namespace != "" && t.Kind != config.SingleCluster && t.Kind != "" {
		return p, outcome.Invalidf("the namespace input only applies to a single-cluster topology; topology %q takes its namespaces from its targets", t.Kind)
	}
	switch t.Kind {
	case config.SingleCluster, "":
		p.Kind = config.SingleCluster
		loc, err := pick(t, config.RoleRelease, config.RoleStable, config.RoleActive)
		if namespace != "" {
			loc.Namespace, err = namespace, nil
		}
		if err != nil {
			return p, err
		}
		p.Route, p.Stable, p.Canary, p.Scope, p.Separation = loc, loc, loc, Changed, ByVersion
	case config.CanaryNamespace:
		return p.two(t, config.RoleStable, config.RoleCanary, Changed, ByHost, false)
	case config.ActivePassiveCanaryNamespace:
		return p.two(t, config.RoleActive, config.RolePassive, All, ByHost, false)
	case config.BlueGreenClusters:
		return p.two(t, config.RoleActive, config.RolePassive, All, ByCluster, true)
	case config.DeltaCanaryCluster:
		return p.two(t, config.RoleStable, config.RoleCanary, Changed, ByCluster, true)
	case config.RebuiltCanaryCluster:
		return p.two(t, config.RoleStable, config.RoleCanary, All, ByCluster, true)
	case config.GatewayRoutedClusters:
		p, err := p.two(t, config.RoleStable, config.RoleCanary, Changed, ByCluster, true)
		if err != nil {
			return p, err
		}
		if _, ok := find(t, config.RoleGateway); !ok {
			return p, outcome.Invalidf("topology %q needs a target with role %q: the cluster whose gateway routes between the others", t.Kind, config.RoleGateway)
		}
		return p, nil
	default:
		return p, outcome.Invalidf("unknown topology kind %q", t.Kind)
	}
	return p, nil
}

// two places a topology of two sides (stable and canary, or active and
// passive); the route lives with the gateway target if there is one, else
// beside the first side.
func (p Placement) two(t config.Topology, first, second config.Role, scope Scope, sep Separation, clusters bool) (Placement, error) {
	a, err := pick(t, first)
	if err != nil {
		return p, err
	}
	b, err := pick(t, second)
	if err != nil {
		return p, err
	}
	switch {
	case clusters && a.Cluster == b.Cluster:
		return p, outcome.Invalidf("topology %q needs its %s and %s targets in different clusters; both are %q", t.Kind, first, second, a.Cluster)
	case !clusters && a.Cluster == b.Cluster && a.Namespace == b.Namespace:
		return p, outcome.Invalidf("topology %q needs different %s and %s namespaces; both are %q", t.Kind, first, second, a.Namespace)
	case !clusters && a.Cluster != b.Cluster:
		return p, outcome.Invalidf("topology %q keeps both namespaces in one cluster; %s is in %q, %s in %q", t.Kind, first, a.Cluster, second, b.Cluster)
	}
	p.Stable, p.Canary, p.Route, p.Scope, p.Separation = a, b, a, scope, sep
	if g, ok := find(t, config.RoleGateway); ok {
		p.Route = Location{Cluster: g.Cluster, Namespace: g.Namespace}
	}
	return p, nil
}

func find(t config.Topology, role config.Role) (config.Target, bool) {
	for _, tg := range t.Targets {
		if tg.Role == role {
			return tg, true
		}
	}
	return config.Target{}, false
}

// pick returns the location of the first target having one of roles.
func pick(t config.Topology, roles ...config.Role) (Location, error) {
	for _, r := range roles {
		if tg, ok := find(t, r); ok {
			if tg.Namespace == "" {
				return Location{}, outcome.Invalidf("topology %q: target %q has no namespace", t.Kind, r)
			}
			return Location{Cluster: tg.Cluster, Namespace: tg.Namespace}, nil
		}
	}
	if len(roles) > 1 {
		return Location{}, outcome.Invalidf("topology %q has no target with role %s, and no namespace input was given", kindOr(t.Kind), roles[0])
	}
	return Location{}, outcome.Invalidf("topology %q needs a target with role %q", t.Kind, roles[0])
}

func kindOr(k config.TopologyKind) config.TopologyKind {
	if k == "" {
		return config.SingleCluster
	}
	return k
}

// Host is the fully qualified mesh host of a service in a namespace.
func Host(service, namespace string) string {
	return fmt.Sprintf("%s.%s.svc.cluster.local", service, namespace)
}

// Destinations returns where the stable and the canary version of a service
// receive requests.
func (p Placement) Destinations(service string) (stable, canary traffic.Destination) {
	switch p.Separation {
	case ByHost:
		return traffic.Destination{Cluster: p.Stable.Cluster, Namespace: p.Stable.Namespace, Host: Host(service, p.Stable.Namespace)},
			traffic.Destination{Cluster: p.Canary.Cluster, Namespace: p.Canary.Namespace, Host: Host(service, p.Canary.Namespace)}
	case ByCluster:
		host := Host(service, p.Stable.Namespace)
		return traffic.Destination{Cluster: p.Stable.Cluster, Namespace: p.Stable.Namespace, Host: host, Subset: StableSubset},
			traffic.Destination{Cluster: p.Canary.Cluster, Namespace: p.Canary.Namespace, Host: host, Subset: CanarySubset}
	default:
		return traffic.Destination{Namespace: p.Stable.Namespace, Host: service, Subset: StableSubset},
			traffic.Destination{Namespace: p.Canary.Namespace, Host: service, Subset: CanarySubset}
	}
}

// Subsets returns the DestinationRule subsets a service needs, given the
// version label values of its stable and canary versions (canary empty
// when there is none). Separation by host needs none.
func (p Placement) Subsets(stableVersion, canaryVersion string) []traffic.Subset {
	var out []traffic.Subset
	switch p.Separation {
	case ByVersion:
		out = append(out, traffic.Subset{Name: StableSubset, Labels: map[string]string{VersionLabel: stableVersion}})
		if canaryVersion != "" {
			out = append(out, traffic.Subset{Name: CanarySubset, Labels: map[string]string{VersionLabel: canaryVersion}})
		}
	case ByCluster:
		out = append(out, traffic.Subset{Name: StableSubset, Labels: map[string]string{ClusterLabel: p.Stable.Cluster}})
		if canaryVersion != "" {
			out = append(out, traffic.Subset{Name: CanarySubset, Labels: map[string]string{ClusterLabel: p.Canary.Cluster}})
		}
	}
	return out
}

// Steps names the steps and the topology kinds each can drive today.
var supported = map[string][]config.TopologyKind{
	"deploy-canary":   {config.SingleCluster},
	"shift-weight":    {config.SingleCluster},
	"promote":         {config.SingleCluster},
	"rollback":        {config.SingleCluster},
	"rebuild-cluster": {config.ActivePassiveCanaryNamespace},
}

// Supported reports whether step can drive topology kind, as an Invalid
// error naming both when it cannot.
func Supported(kind config.TopologyKind, step string) error {
	kind = kindOr(kind)
	for _, k := range supported[step] {
		if k == kind {
			return nil
		}
	}
	return outcome.Invalidf("topology %q is not supported by %s yet", kind, step)
}
