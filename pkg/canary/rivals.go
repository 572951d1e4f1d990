package canary

import (
	"strings"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// rivaled is a Mesh that can tell, after a Snapshot, which route objects
// of the user's would make the mesh ignore aviary's route of a service
// (istio.Router: an older VirtualService naming the same host).
type rivaled interface {
	Rivals(svc traffic.Service) []string
}

// checkRivals refuses, before anything is written, services whose route at
// a route place would be ignored by the mesh: every weight aviary set there
// would be a lie. Other places are not route places and are not checked.
func (e *Env) checkRivals(m Mesh, at topology.Location, services []string) error {
	rv, ok := m.(rivaled)
	if !ok || !e.isRoutePlace(at) {
		return nil
	}
	var found []string
	for _, s := range services {
		for _, r := range rv.Rivals(e.routeOf(s, at)) {
			found = append(found, "service "+s+": "+r)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return outcome.Invalidf("in %s, an older VirtualService routes the host of a service aviary routes, and istiod routes a host by its oldest VirtualService only, so aviary's weights would be ignored:\n  %s\nmerge its routes into the VirtualService named after the service (aviary keeps the routes it does not own) or delete it",
		at, strings.Join(found, "\n  "))
}

func (e *Env) isRoutePlace(at topology.Location) bool {
	for _, r := range e.Place.Routes {
		if r.Same(at) {
			return true
		}
	}
	return false
}
