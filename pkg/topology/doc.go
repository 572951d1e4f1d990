// Package topology decides, without touching a cluster, where a release's
// objects go and what its routes say.
//
// Place turns the topology section of a release config into a Placement:
// its sides (each a target role, the parts it plays — stable, canary,
// passive, gateway —, the services it runs, and its kubeconfig context,
// Istio cluster ID and namespace) and the places of the route objects that
// decide the split (the first of them also holds the release's lock and
// record). It reads config.Rules, the one table of what each kind means,
// and checks the topology with the same rules as config validation, so the
// two never disagree.
//
// A Strategy per separation says how the route at one route place reaches
// each side's version of a service:
//
//	version-subsets     one host, DestinationRule subsets by version label   single-cluster
//	host-per-namespace  the host of each side's namespace, a subset each     canary-namespace, blue-green-namespaces
//	cluster-subsets     one host across one mesh, subsets by cluster ID      the cluster topologies (one mesh)
//	remote-host         local subsets in the route's own cluster, else a     the cluster topologies (separate meshes)
//	                    ServiceEntry host per other mesh's ingress, whose
//	                    subset there picks the version
//
// From a strategy, CanaryState, StableState and PromoteStates build every
// state a service's route objects go through, alike for every separation;
// a state routes only to versions that must already be ready.
//
// Supported says which steps drive a placement today, and what a refused
// one would need.
package topology
