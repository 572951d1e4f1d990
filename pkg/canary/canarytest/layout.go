package canarytest

import "github.com/aviary-cd/aviary/pkg/config"

// Layout is a topology a fixture releases into: its name (the topology
// kind, and the directory of its Roles under examples/rbac), the release
// config's topology section, and its namespaces, the release namespace
// first. Clusters, for the cluster topologies, are the kubeconfig contexts
// (and Istio cluster IDs) of its clusters, the one holding the route (the
// home) first; every namespace is created in each. Empty: one cluster.
type Layout struct {
	Name       string
	Topology   config.Topology
	Namespaces []string
	Clusters   []string
	// Roles is the directory of its Roles under examples/rbac when it is
	// not Name.
	Roles string
}

// RolesDir is the directory of the layout's Roles under examples/rbac.
func (l Layout) RolesDir() string {
	if l.Roles != "" {
		return l.Roles
	}
	return l.Name
}

// SingleCluster releases into one namespace, stable and canary as version
// subsets.
func SingleCluster(namespace string) Layout {
	return Layout{
		Name:       string(config.SingleCluster),
		Topology:   config.Topology{Kind: config.SingleCluster, Targets: []config.Target{{Role: config.RoleRelease, Namespace: namespace}}},
		Namespaces: []string{namespace},
	}
}

// CanaryNamespace runs the release in release and its canaries in canary.
func CanaryNamespace(release, canary string) Layout {
	return Layout{
		Name: string(config.CanaryNamespace),
		Topology: config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{
			{Role: config.RoleStable, Namespace: release},
			{Role: config.RoleCanary, Namespace: canary},
		}},
		Namespaces: []string{release, canary},
	}
}

// BlueGreenNamespaces switches between namespaces active (where the route
// lives) and passive.
func BlueGreenNamespaces(active, passive string) Layout {
	return Layout{
		Name: string(config.BlueGreenNamespaces),
		Topology: config.Topology{Kind: config.BlueGreenNamespaces, Targets: []config.Target{
			{Role: config.RoleActive, Namespace: active},
			{Role: config.RolePassive, Namespace: passive},
		}},
		Namespaces: []string{active, passive},
	}
}

// Host is the mesh host of service in namespace.
func Host(service, namespace string) string { return service + "." + namespace + ".svc.cluster.local" }

// The clusters of the cluster layouts, as kubeconfig contexts and Istio
// cluster IDs.
const (
	ReleaseCluster = "release"
	CanaryCluster  = "canary"
	GatewayCluster = "gateway"
)

// DeltaCanaryCluster runs the full release in the release cluster and the
// changed services' canaries in the canary cluster, one namespace across
// both (one mesh, cluster subsets).
func DeltaCanaryCluster(namespace string) Layout {
	return clusterPair(config.DeltaCanaryCluster, namespace)
}

// RebuiltCanaryCluster is DeltaCanaryCluster's layout for the
// rebuilt-canary-cluster topology.
func RebuiltCanaryCluster(namespace string) Layout {
	l := clusterPair(config.RebuiltCanaryCluster, namespace)
	l.Roles = string(config.DeltaCanaryCluster)
	return l
}

func clusterPair(kind config.TopologyKind, namespace string) Layout {
	return Layout{
		Name: string(kind),
		Topology: config.Topology{Kind: kind, Targets: []config.Target{
			{Role: config.RoleStable, Cluster: ReleaseCluster, Namespace: namespace},
			{Role: config.RoleCanary, Cluster: CanaryCluster, Namespace: namespace},
		}},
		Namespaces: []string{namespace},
		Clusters:   []string{ReleaseCluster, CanaryCluster},
	}
}

// BlueGreenClusters switches namespace between the release cluster
// (active) and the canary cluster (passive); the route lives in both.
func BlueGreenClusters(namespace string) Layout {
	return Layout{
		Name: string(config.BlueGreenClusters),
		Topology: config.Topology{Kind: config.BlueGreenClusters, Targets: []config.Target{
			{Role: config.RoleActive, Cluster: ReleaseCluster, Namespace: namespace},
			{Role: config.RolePassive, Cluster: CanaryCluster, Namespace: namespace},
		}},
		Namespaces: []string{namespace},
		Clusters:   []string{ReleaseCluster, CanaryCluster},
	}
}

// ActivePassiveCanaryNamespace runs the release in namespace of the
// release cluster (active), its canaries in canaryNS there, and keeps the
// canary cluster's namespace passive.
func ActivePassiveCanaryNamespace(namespace, canaryNS string) Layout {
	return Layout{
		Name: string(config.ActivePassiveCanaryNamespace),
		Topology: config.Topology{Kind: config.ActivePassiveCanaryNamespace, Targets: []config.Target{
			{Role: config.RoleActive, Cluster: ReleaseCluster, Namespace: namespace},
			{Role: config.RoleCanary, Cluster: ReleaseCluster, Namespace: canaryNS},
			{Role: config.RolePassive, Cluster: CanaryCluster, Namespace: namespace},
		}},
		Namespaces: []string{namespace, canaryNS},
		Clusters:   []string{ReleaseCluster, CanaryCluster},
	}
}

// IngressGateway is the ingress Gateway the gateway-routed layout's route
// binds to, in its namespace of the gateway cluster (the test creates it).
const IngressGateway = "edge"

// GatewayRoutedClusters routes from namespace of the gateway cluster, for
// its ingress Gateway IngressGateway and its sidecars, to the release
// cluster (stable) and the canary cluster, namespace in each.
func GatewayRoutedClusters(namespace string) Layout {
	return Layout{
		Name: string(config.GatewayRoutedClusters),
		Topology: config.Topology{Kind: config.GatewayRoutedClusters, Targets: []config.Target{
			{Role: config.RoleGateway, Cluster: GatewayCluster, Namespace: namespace, Gateway: IngressGateway},
			{Role: config.RoleStable, Cluster: ReleaseCluster, Namespace: namespace},
			{Role: config.RoleCanary, Cluster: CanaryCluster, Namespace: namespace},
		}},
		Namespaces: []string{namespace},
		Clusters:   []string{GatewayCluster, ReleaseCluster, CanaryCluster},
	}
}
