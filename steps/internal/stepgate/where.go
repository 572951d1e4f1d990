package stepgate

import "github.com/aviary-cd/aviary/pkg/config"

// Metrics says where the metrics of one target's side are found.
type Metrics struct {
	// ClusterID is the Istio cluster ID the side's metrics carry as
	// destination_cluster; empty when it is not known for sure.
	ClusterID string
}

// MetricsOf says, by target role, where each target's metrics are found.
// With one mesh across the clusters, a target's Istio cluster ID (its
// clusterID, else its kubeconfig context's name) is what istiod labels its
// endpoints with and what its sidecars report, so it is known for sure.
// With separate meshes it is only when the target gives clusterID: each
// mesh names its cluster as it was installed (Istio's default is
// "Kubernetes"), and aviary routes by ingress address, not cluster ID.
func MetricsOf(top config.Topology) map[config.Role]Metrics {
	out := map[config.Role]Metrics{}
	for _, tg := range top.Targets {
		m := Metrics{ClusterID: tg.IstioClusterID()}
		if top.Mesh == config.MeshSeparate {
			m.ClusterID = tg.ClusterID
		}
		out[tg.Role] = m
	}
	return out
}
