package istio

import (
	"fmt"
	"slices"
	"strings"

	netv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/aviary-cd/aviary/pkg/traffic"
)

// Rivals names the VirtualServices of vss (one namespace's, as a Snapshot
// lists them) that take svc's hosts from aviary's VirtualService for the
// mesh's sidecars. istiod builds a sidecar's routes for a host from the
// oldest VirtualService naming it (by creation time, then name) and drops
// the others without a word, so aviary's weights would be ignored while
// an older VirtualService of the user names the same host. A
// VirtualService for gateways only does not compete; nor does one that is
// younger than aviary's (it is the one ignored). Without aviary's
// VirtualService yet, every other one naming a host is a rival: aviary's
// would be the youngest.
func Rivals(vss []*netv1.VirtualService, svc traffic.Service) []string {
	hosts := svc.Hosts
	if len(hosts) == 0 {
		hosts = []string{svc.Name}
	}
	want := make([]string, len(hosts))
	for i, h := range hosts {
		want[i] = fqdn(h, svc.Namespace)
	}
	var ours *netv1.VirtualService
	for _, vs := range vss {
		if vs != nil && vs.Name == svc.Name {
			ours = vs
		}
	}
	var out []string
	for _, vs := range vss {
		if vs == nil || vs.Name == svc.Name || !forSidecars(vs) {
			continue
		}
		if ours != nil && !older(vs, ours) {
			continue
		}
		for _, h := range vs.Spec.Hosts {
			if slices.Contains(want, fqdn(h, vs.Namespace)) {
				out = append(out, fmt.Sprintf("VirtualService %s/%s (host %s)", vs.Namespace, vs.Name, h))
				break
			}
		}
	}
	return out
}

// forSidecars says whether the mesh's sidecars see vs: no gateways, or
// "mesh" among them.
func forSidecars(vs *netv1.VirtualService) bool {
	return len(vs.Spec.Gateways) == 0 || slices.Contains(vs.Spec.Gateways, "mesh")
}

// older orders VirtualServices as istiod does when two name one host.
func older(a, b *netv1.VirtualService) bool {
	ta, tb := a.CreationTimestamp.Time, b.CreationTimestamp.Time
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return a.Name < b.Name
}

// fqdn resolves a host written in namespace as Istio does: a name without
// a dot is a Kubernetes service of the namespace; anything else is taken as
// written.
func fqdn(host, namespace string) string {
	if host == "*" || strings.Contains(host, ".") {
		return host
	}
	return host + "." + namespace + ".svc.cluster.local"
}

// Rivals names, from the namespace's last Snapshot, the VirtualServices
// that would make istiod ignore aviary's route of svc (see Rivals).
func (r *Router) Rivals(svc traffic.Service) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Rivals(r.listed[svc.Namespace], svc)
}
