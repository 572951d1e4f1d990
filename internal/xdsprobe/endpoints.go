package xdsprobe

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
)

// Endpoint is one endpoint of a cluster load assignment.
type Endpoint struct {
	IP   string
	Port int
	// Weight is the endpoint's load-balancing weight (1 when unset).
	Weight int
	// Health is Envoy's health status ("HEALTHY", "UNHEALTHY", "UNKNOWN", ...).
	Health string
	// Workload and ClusterID come from the endpoint's Istio metadata
	// (istio.workload: "<workload>;<namespace>;<service>;<revision>;<cluster>"),
	// when istiod sends it.
	Workload, ClusterID string
}

// Endpoints returns the endpoints istiod assigns to the cluster named
// cluster ("outbound|80|canary|cart.shop.svc.cluster.local"), sorted by IP
// and port. A cluster istiod knows no endpoints of has none.
func (p *Probe) Endpoints(ctx context.Context, cluster string) ([]Endpoint, error) {
	res, err := p.fetch(ctx, EndpointType, []string{cluster})
	if err != nil {
		return nil, err
	}
	var out []Endpoint
	for _, a := range res {
		var cla endpointv3.ClusterLoadAssignment
		if err := a.UnmarshalTo(&cla); err != nil {
			return nil, fmt.Errorf("decoding the endpoints of %q: %w", cluster, err)
		}
		if cla.GetClusterName() != cluster {
			continue
		}
		for _, loc := range cla.GetEndpoints() {
			for _, lb := range loc.GetLbEndpoints() {
				out = append(out, endpointOf(lb))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].IP != out[j].IP {
			return lessIP(out[i].IP, out[j].IP)
		}
		return out[i].Port < out[j].Port
	})
	return out, nil
}

func endpointOf(lb *endpointv3.LbEndpoint) Endpoint {
	sa := lb.GetEndpoint().GetAddress().GetSocketAddress()
	e := Endpoint{
		IP:     sa.GetAddress(),
		Port:   int(sa.GetPortValue()),
		Weight: 1,
		Health: lb.GetHealthStatus().String(),
	}
	if w := lb.GetLoadBalancingWeight(); w != nil {
		e.Weight = int(w.GetValue())
	}
	istio := lb.GetMetadata().GetFilterMetadata()["istio"]
	if workload := istio.GetFields()["workload"].GetStringValue(); workload != "" {
		parts := strings.Split(workload, ";")
		e.Workload = parts[0]
		if len(parts) >= 5 {
			e.ClusterID = parts[4]
		}
	}
	return e
}

// IPs returns the endpoints' IPs, in address order, each once.
func IPs(endpoints []Endpoint) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range endpoints {
		if !seen[e.IP] {
			seen[e.IP] = true
			out = append(out, e.IP)
		}
	}
	sortIPs(out)
	return out
}

// sortIPs sorts addresses numerically (10.244.0.9 before 10.244.0.10);
// anything that is not an address sorts after, as text.
func sortIPs(ips []string) {
	sort.Slice(ips, func(i, j int) bool { return lessIP(ips[i], ips[j]) })
}

func lessIP(a, b string) bool {
	x, errA := netip.ParseAddr(a)
	y, errB := netip.ParseAddr(b)
	switch {
	case errA == nil && errB == nil:
		return x.Less(y)
	case errA == nil || errB == nil:
		return errA == nil
	default:
		return a < b
	}
}
