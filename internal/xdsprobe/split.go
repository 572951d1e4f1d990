package xdsprobe

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Share is one destination's part of a split: its weight and the IPs of
// the endpoints behind it (sorted).
type Share struct {
	Weight int
	IPs    []string
}

// Split is how a proxy splits the requests for one host and port: the
// weighted clusters of the last route of the host's virtual host (the
// route a request no earlier match takes; for a VirtualService with one
// HTTP route, that route) and the endpoints istiod assigns to each.
type Split struct {
	// VirtualHost and Route name what istiod sent ("cart.shop.svc.cluster.local:80",
	// "aviary-cart"); Routes is how many routes the virtual host has.
	VirtualHost string
	Route       string
	Routes      int
	// Shares are keyed by the cluster's subset ("stable", "canary"), or
	// its host when it has none ("cart.shop-canary.svc.cluster.local");
	// by the full cluster name when two clusters would share a key.
	Shares map[string]Share
	// Clusters maps each key of Shares to its Envoy cluster name.
	Clusters map[string]string
}

// Weights returns the weight of each key of Shares.
func (s Split) Weights() map[string]int {
	out := make(map[string]int, len(s.Shares))
	for k, sh := range s.Shares {
		out[k] = sh.Weight
	}
	return out
}

// String renders the split in one line, keys in order:
// "aviary-cart: canary=10 [10.244.0.7] stable=90 [10.244.0.5 10.244.0.6]".
func (s Split) String() string {
	return s.Route + ": " + formatShares(s.Shares)
}

func formatShares(shares map[string]Share) string {
	keys := make([]string, 0, len(shares))
	for k := range shares {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d %v", k, shares[k].Weight, shares[k].IPs))
	}
	if len(parts) == 0 {
		return "(no destinations)"
	}
	return strings.Join(parts, " ")
}

// RouteConfigName is the name of the route configuration that holds port's
// virtual hosts for a node of kind: "80" for a sidecar, "http.80" for a
// gateway's plain-HTTP server.
func RouteConfigName(kind Kind, port int) string {
	if kind == RouterKind {
		return "http." + strconv.Itoa(port)
	}
	return strconv.Itoa(port)
}

// Split returns how the probe's node splits requests for host on port:
// host is a service's FQDN ("cart.shop.svc.cluster.local") for a sidecar,
// a Gateway's host for a router.
func (p *Probe) Split(ctx context.Context, host string, port int) (Split, error) {
	name := RouteConfigName(p.Node().Kind, port)
	hosts, err := p.Routes(ctx, name)
	if err != nil {
		return Split{}, err
	}
	vh, ok := VirtualHostFor(hosts, host)
	if !ok {
		vh, ok = VirtualHostFor(hosts, host+":"+strconv.Itoa(port))
	}
	if !ok {
		names := make([]string, 0, len(hosts))
		for _, h := range hosts {
			names = append(names, h.Name)
		}
		return Split{}, fmt.Errorf("route configuration %q has no virtual host for %s (it has %v)", name, host, names)
	}
	if len(vh.Routes) == 0 {
		return Split{VirtualHost: vh.Name}, fmt.Errorf("virtual host %s has no routes", vh.Name)
	}
	route := vh.Routes[len(vh.Routes)-1]
	s := Split{VirtualHost: vh.Name, Route: route.Name, Routes: len(vh.Routes), Shares: map[string]Share{}, Clusters: map[string]string{}}
	keys := shareKeys(route.Clusters)
	for i, wc := range route.Clusters {
		eps, err := p.Endpoints(ctx, wc.Name)
		if err != nil {
			return s, err
		}
		share := s.Shares[keys[i]]
		share.Weight += wc.Weight
		share.IPs = IPs(append(ipEndpoints(share.IPs), eps...))
		s.Shares[keys[i]] = share
		s.Clusters[keys[i]] = wc.Name
	}
	return s, nil
}

// shareKeys names each cluster by its subset, or host, or (on a clash)
// full name.
func shareKeys(clusters []WeightedCluster) []string {
	short := func(name string) string {
		c, ok := ParseClusterName(name)
		switch {
		case !ok:
			return name
		case c.Subset != "":
			return c.Subset
		default:
			return c.Host
		}
	}
	count := map[string]int{}
	for _, wc := range clusters {
		count[short(wc.Name)]++
	}
	keys := make([]string, len(clusters))
	for i, wc := range clusters {
		keys[i] = short(wc.Name)
		if count[keys[i]] > 1 && slices.IndexFunc(clusters, func(o WeightedCluster) bool { return o.Name != wc.Name && short(o.Name) == keys[i] }) >= 0 {
			keys[i] = wc.Name
		}
	}
	return keys
}

func ipEndpoints(ips []string) []Endpoint {
	out := make([]Endpoint, len(ips))
	for i, ip := range ips {
		out[i] = Endpoint{IP: ip}
	}
	return out
}
