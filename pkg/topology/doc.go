// Package topology decides, without touching a cluster, where a release's
// objects go: in which cluster and namespace the stable and the canary
// versions run, where the routing objects (VirtualService, DestinationRule)
// live, and which mesh destinations tell the two versions apart.
//
// One Placement describes every topology of the release config:
//
//	kind                              workloads                          route lives in   versions told apart by
//	single-cluster                    stable+canary, one namespace       that namespace   subsets by version label
//	canary-namespace                  changed services in canary ns      stable ns        host (svc.<ns>.svc.cluster.local)
//	active-passive-canary-namespace   all services rebuilt in passive ns active target    host (svc.<ns>.svc.cluster.local)
//	blue-green-clusters               all services in the passive cluster gateway/active subsets by cluster label
//	delta-canary-cluster              changed services in canary cluster stable cluster   subsets by cluster label
//	rebuilt-canary-cluster            all services in canary cluster     stable cluster   subsets by cluster label
//	gateway-routed-clusters           changed services in canary cluster gateway cluster  subsets by cluster label
//
// Across clusters the mesh is assumed to be multi-cluster Istio, where one
// host spans clusters and a subset selects a cluster by the
// topology.istio.io/cluster label. The route of the active/passive kinds
// stays where it was first placed (the gateway target, else the config's
// active target) whichever side serves, so that clients keep one address;
// its record says which side is active. Steps check Supported before acting:
// a topology a step cannot drive yet is an Invalid error saying so.
package topology
