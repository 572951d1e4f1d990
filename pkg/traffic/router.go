package traffic

import "context"

// Service names one routed service: the mesh route that splits its
// requests lives in Cluster/Namespace and is called Name.
type Service struct {
	Cluster   string
	Namespace string
	Name      string
}

func (s Service) String() string {
	if s.Cluster != "" {
		return s.Cluster + "/" + s.Namespace + "/" + s.Name
	}
	return s.Namespace + "/" + s.Name
}

// Route is what a router reads back: the weights in effect and the record
// kept beside them (annotations such as aviary.dev/weight).
type Route struct {
	// Found is false when the service has no aviary route yet.
	Found   bool
	Weights []Weighted
	Record  map[string]string
}

// Router applies weights decided elsewhere. Implementations change only
// aviary's own route of a service and leave everything else a user put there.
type Router interface {
	// SetWeights routes the service's requests by weights, in one write,
	// and stores record (may be nil) beside the route. Keys of record with
	// an empty value are removed.
	SetWeights(ctx context.Context, svc Service, weights []Weighted, record map[string]string) error
	// Weights returns the service's route as it is now.
	Weights(ctx context.Context, svc Service) (Route, error)
}

// Subset is a named group of a service's workloads selected by labels.
type Subset struct {
	Name   string
	Labels map[string]string
}

// SubsetSetter is implemented by routers of meshes that tell versions apart
// by subsets of one host (Istio's DestinationRule).
type SubsetSetter interface {
	// SetSubsets makes the service's subsets with these names select these
	// labels; subsets named in remove are dropped. Other subsets stay.
	SetSubsets(ctx context.Context, svc Service, host string, subsets []Subset, remove []string) error
}
