package config

// FileName is the conventional name of the release config in an app repository.
const FileName = "aviary.yaml"

// Config is the release config, aviary.yaml: what a product is made of, where
// it runs and how its canaries are judged. It is read from the release commit
// by bundle-plan and copied, closed, into the release plan, so every later step
// sees exactly the config the release was bundled with.
//
// Field tags: `json` names the field for encoding/json, the YAML decoder and
// the JSON Schema alike; `jsonschema` carries schema-only facts.
type Config struct {
	// Product names what is released; it labels objects and plans.
	Product string `json:"product" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$,maxLength=63"`
	// Services are the deployable units of the product, released together.
	Services []Service `json:"services" jsonschema:"minItems=1"`
	// Topology says where the stable and canary versions run.
	Topology Topology `json:"topology"`
	// Canary holds the default rollout policy; step inputs may override parts of it.
	Canary Canary `json:"canary,omitzero"`
}

// Service is one deployable unit of the product.
type Service struct {
	// Name is a DNS-1123 label, unique within the product.
	Name string `json:"name" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$,maxLength=63"`
	// Image is an image repository, optionally with a tag
	// (registry.example/team/api or registry.example/team/api:1.4.0). Without a
	// tag the release version is the tag. A digest is not allowed here: the
	// plan pins digests itself.
	Image string `json:"image" jsonschema:"minLength=1"`
	// Manifests is a directory of plain Kubernetes YAML (*.yaml, *.yml) in the
	// app repository, relative to the repository root, or of a kustomization
	// (kustomization.yaml), which is rendered when the release is bundled.
	Manifests string `json:"manifests" jsonschema:"minLength=1"`
	// Port is the port the service listens on; 0 takes it from the manifests.
	Port int `json:"port,omitempty" jsonschema:"minimum=0,maximum=65535"`
}

// TopologyKind is one of the supported ways of placing stable and canary.
type TopologyKind string

// The topology kinds. What each needs and where it puts things is the rule
// table of topology.go.
const (
	// SingleCluster runs stable and canary as version subsets in one namespace.
	SingleCluster TopologyKind = "single-cluster"
	// CanaryNamespace runs the full release in one namespace and the canaries
	// of the changed services in a second namespace of the same cluster.
	CanaryNamespace TopologyKind = "canary-namespace"
	// BlueGreenNamespaces switches traffic between two namespaces of one
	// cluster, each rebuilt whole from a plan in turn.
	BlueGreenNamespaces TopologyKind = "blue-green-namespaces"
	// BlueGreenClusters switches traffic between two whole clusters.
	BlueGreenClusters TopologyKind = "blue-green-clusters"
	// DeltaCanaryCluster runs only the changed services in a canary cluster.
	DeltaCanaryCluster TopologyKind = "delta-canary-cluster"
	// RebuiltCanaryCluster rebuilds a canary cluster from scratch per release.
	RebuiltCanaryCluster TopologyKind = "rebuilt-canary-cluster"
	// ActivePassiveCanaryNamespace is two clusters: the active one runs the
	// release and, while a release is open, its canaries in a canary
	// namespace; the passive one is rebuilt from the plan when the release
	// closes and takes over.
	ActivePassiveCanaryNamespace TopologyKind = "active-passive-canary-namespace"
	// GatewayRoutedClusters routes between clusters from a gateway cluster.
	GatewayRoutedClusters TopologyKind = "gateway-routed-clusters"
)

// Role is what a target is for within a topology.
type Role string

// The target roles.
const (
	RoleStable  Role = "stable"
	RoleCanary  Role = "canary"
	RoleActive  Role = "active"
	RolePassive Role = "passive"
	RoleGateway Role = "gateway"
	RoleRelease Role = "release"
)

// Topology says where versions run.
type Topology struct {
	Kind    TopologyKind `json:"kind" jsonschema:"enum=single-cluster,enum=canary-namespace,enum=blue-green-namespaces,enum=blue-green-clusters,enum=delta-canary-cluster,enum=rebuilt-canary-cluster,enum=active-passive-canary-namespace,enum=gateway-routed-clusters"`
	Targets []Target     `json:"targets,omitempty"`
	// Mesh says how traffic crosses the clusters of a cluster topology:
	// "one" (the default), one Istio mesh across them, routed by subsets
	// per cluster ID; or "separate", a mesh per cluster, the other cluster
	// reached through its ingress gateway (a ServiceEntry per host).
	Mesh MeshMode `json:"mesh,omitempty" jsonschema:"enum=one,enum=separate"`
}

// MeshMode is how traffic crosses clusters.
type MeshMode string

// The mesh modes.
const (
	MeshOne      MeshMode = "one"
	MeshSeparate MeshMode = "separate"
)

// Target is one place a topology uses.
type Target struct {
	Role Role `json:"role" jsonschema:"enum=stable,enum=canary,enum=active,enum=passive,enum=gateway,enum=release"`
	// Cluster is the kubeconfig context of the cluster; empty is the step's
	// own kubeconfig context.
	Cluster string `json:"cluster,omitempty"`
	// ClusterID is the cluster's Istio cluster ID: what istiod was started
	// with (--clusterID, or the key of the cluster's remote secret) and what
	// it puts in the topology.istio.io/cluster label of the cluster's
	// endpoints. Empty is the kubeconfig context's name (cluster).
	ClusterID string `json:"clusterID,omitempty" jsonschema:"maxLength=253"`
	// Namespace is a DNS-1123 label.
	Namespace string `json:"namespace" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$,maxLength=63"`
	// Ingress is the address of the cluster's ingress gateway as the other
	// clusters reach it, host:port (an IP or a DNS name): with separate
	// meshes, the deciding cluster reaches this target's services there.
	Ingress string `json:"ingress,omitempty"`
	// Gateway, on a gateway target, is the Istio Gateway (namespace/name,
	// or a name in the target's namespace) of the cluster's ingress that
	// the route binds to, beside the mesh's sidecars.
	Gateway string `json:"gateway,omitempty"`
	// PrometheusURL is the base URL of the Prometheus that scrapes this
	// target's cluster, when each cluster has its own: the analysis reads
	// each side's metrics from its target's Prometheus (Istio's
	// destination-reported metrics come from the cluster the receiving pod
	// runs in). Empty is canary.analysis.prometheusURL, or the steps'
	// prometheus-url input, which serve the targets without one. Not on a
	// gateway target, which runs no service of the release.
	PrometheusURL string `json:"prometheusURL,omitempty"`
}

// IstioClusterID is the target's Istio cluster ID: ClusterID, else the
// kubeconfig context's name.
func (t Target) IstioClusterID() string {
	if t.ClusterID != "" {
		return t.ClusterID
	}
	return t.Cluster
}

// Canary is the default rollout policy.
type Canary struct {
	// Steps are the canary weights in percent walked in order, e.g. [5, 10, 25, 50].
	Steps []int `json:"steps,omitempty" jsonschema:"uniqueItems=true"`
	// Pause is how long to wait between steps.
	Pause Duration `json:"pause,omitzero"`
	// InitialWeight is the weight the canary starts with, in percent.
	InitialWeight int `json:"initialWeight,omitempty" jsonschema:"minimum=0,maximum=100"`
	// Analysis gates every step on metrics.
	Analysis Analysis `json:"analysis,omitzero"`
}
