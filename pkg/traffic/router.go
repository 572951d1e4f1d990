package traffic

import "context"

// Service addresses the route objects of one service in one place: the
// VirtualService named Name in Namespace and, when it is created, what it
// routes.
type Service struct {
	Namespace string
	// Name is the service's name; aviary's route objects are named after it.
	Name string
	// Hosts are the hosts a VirtualService created for the service routes;
	// empty is Name.
	Hosts []string
	// Gateways are the gateways a VirtualService created for the service
	// binds to; empty is the mesh's sidecars.
	Gateways []string
}

func (s Service) String() string { return s.Namespace + "/" + s.Name }

// Route is what a router reads back: the weights of aviary's route.
type Route struct {
	// Found is false when the service has no aviary route yet.
	Found   bool
	Weights []Weighted
}

// Router applies weights decided elsewhere. Implementations change only
// aviary's own route of a service and leave everything else a user put there.
type Router interface {
	// SetWeights routes the service's requests by weights, in one write.
	SetWeights(ctx context.Context, svc Service, weights []Weighted) error
	// Weights returns the service's route as it is now.
	Weights(ctx context.Context, svc Service) (Route, error)
}

// Subset is a named group of a service's workloads selected by labels.
type Subset struct {
	Name   string
	Labels map[string]string
}

// SubsetSetter is implemented by routers of meshes that tell versions apart
// by subsets of a host (Istio's DestinationRule).
type SubsetSetter interface {
	// SetSubsets makes the subsets with these names of the rule for host,
	// named svc.Name in svc.Namespace, select these labels; subsets named in
	// remove are dropped. Other subsets stay.
	SetSubsets(ctx context.Context, svc Service, host string, subsets []Subset, remove []string) error
}
