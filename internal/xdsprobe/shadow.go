package xdsprobe

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Shadowed says which VirtualServices istiod ignores for sidecars because
// an older one names the same host: istiod builds a sidecar's routes for a
// host from the oldest VirtualService for it (by creation time, then name,
// then namespace) and drops the others without a word in its push status
// or its log. The CRD schema accepts them all.
func Shadowed(configs []Config) []string {
	type vs struct {
		cfg   Config
		hosts []string
	}
	var all []vs
	for _, c := range configs {
		if c.Kind != "VirtualService" {
			continue
		}
		var spec struct {
			Hosts    []string `json:"hosts"`
			Gateways []string `json:"gateways"`
		}
		if err := json.Unmarshal(c.Spec, &spec); err != nil {
			continue
		}
		if len(spec.Gateways) > 0 && !slices.Contains(spec.Gateways, "mesh") {
			continue // gateways only: sidecars never see it
		}
		v := vs{cfg: c}
		for _, h := range spec.Hosts {
			v.hosts = append(v.hosts, fqdn(h, c.Namespace))
		}
		all = append(all, v)
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i].cfg, all[j].cfg
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Namespace < b.Namespace
	})
	owner := map[string]Config{}
	var out []string
	for _, v := range all {
		for _, h := range v.hosts {
			if first, ok := owner[h]; ok {
				out = append(out, fmt.Sprintf("VirtualService %s/%s is ignored for %s: the older VirtualService %s/%s routes that host",
					v.cfg.Namespace, v.cfg.Name, h, first.Namespace, first.Name))
				continue
			}
			owner[h] = v.cfg
		}
	}
	return out
}

// fqdn resolves a VirtualService host written in namespace as Istio does
// (ResolveShortnameToFQDN): a name without a dot is a Kubernetes service of
// the namespace ("cart" is cart.shop.svc.cluster.local); anything with a
// dot, "*" included, is taken as written ("cart.shop" stays as it is).
func fqdn(host, namespace string) string {
	if host == "*" || strings.Contains(host, ".") || strings.Contains(host, ":") {
		return host
	}
	return host + "." + namespace + ".svc.cluster.local"
}
