package xdsprobe

import (
	"context"
	"fmt"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// VirtualHost is one virtual host of a route configuration: the domains it
// serves and its routes, in the order Envoy tries them.
type VirtualHost struct {
	// Name is Istio's "<host>:<port>" ("cart.shop.svc.cluster.local:80").
	Name    string
	Domains []string
	Routes  []Route
}

// Route is one route of a virtual host.
type Route struct {
	// Name is the VirtualService's HTTP route name, or "default" for the
	// route Istio makes for a service without a VirtualService.
	Name string
	// Match summarises the route's match ("prefix /", "path /x", "regex ...",
	// plus " headers" when it also matches headers).
	Match string
	// Clusters are where the route sends requests. A route to one cluster
	// has one entry of weight 100; a route that redirects or answers
	// directly has none.
	Clusters []WeightedCluster
}

// WeightedCluster is one destination of a route.
type WeightedCluster struct {
	// Name is Envoy's cluster name,
	// "outbound|<port>|<subset>|<host>" for a sidecar.
	Name   string
	Weight int
}

// Routes returns the virtual hosts of the route configuration called name
// ("80" for a sidecar's outbound port 80, "http.8080" for a gateway's
// server on port 8080). A configuration istiod did not send has none.
func (p *Probe) Routes(ctx context.Context, name string) ([]VirtualHost, error) {
	res, err := p.fetch(ctx, RouteType, []string{name})
	if err != nil {
		return nil, err
	}
	var out []VirtualHost
	for _, a := range res {
		var rc routev3.RouteConfiguration
		if err := a.UnmarshalTo(&rc); err != nil {
			return nil, fmt.Errorf("decoding route configuration %q: %w", name, err)
		}
		if rc.GetName() != name {
			continue
		}
		for _, vh := range rc.GetVirtualHosts() {
			out = append(out, virtualHostOf(vh))
		}
	}
	return out, nil
}

func virtualHostOf(vh *routev3.VirtualHost) VirtualHost {
	out := VirtualHost{Name: vh.GetName(), Domains: vh.GetDomains()}
	for _, r := range vh.GetRoutes() {
		route := Route{Name: r.GetName(), Match: matchOf(r.GetMatch())}
		action := r.GetRoute()
		if c := action.GetCluster(); c != "" {
			route.Clusters = []WeightedCluster{{Name: c, Weight: 100}}
		}
		for _, wc := range action.GetWeightedClusters().GetClusters() {
			route.Clusters = append(route.Clusters, WeightedCluster{Name: wc.GetName(), Weight: int(wc.GetWeight().GetValue())})
		}
		out.Routes = append(out.Routes, route)
	}
	return out
}

func matchOf(m *routev3.RouteMatch) string {
	var s string
	switch {
	case m.GetPrefix() != "":
		s = "prefix " + m.GetPrefix()
	case m.GetPath() != "":
		s = "path " + m.GetPath()
	case m.GetSafeRegex() != nil:
		s = "regex " + m.GetSafeRegex().GetRegex()
	case m.GetPathSeparatedPrefix() != "":
		s = "prefix " + m.GetPathSeparatedPrefix()
	default:
		s = "any"
	}
	if len(m.GetHeaders()) > 0 || len(m.GetQueryParameters()) > 0 {
		s += " headers"
	}
	return s
}

// VirtualHostFor returns the virtual host of hosts that serves domain.
func VirtualHostFor(hosts []VirtualHost, domain string) (VirtualHost, bool) {
	for _, vh := range hosts {
		for _, d := range vh.Domains {
			if d == domain {
				return vh, true
			}
		}
	}
	return VirtualHost{}, false
}
