package canarytest

import "github.com/aviary-cd/aviary/pkg/config"

// Layout is a topology a fixture releases into: its name (the topology
// kind, and the directory of its Roles under examples/rbac), the release
// config's topology section, and its namespaces, the release namespace
// first.
type Layout struct {
	Name       string
	Topology   config.Topology
	Namespaces []string
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
