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
	return indexHosts(vss).rivals(svc)
}

// hostIndex is one namespace's VirtualServices indexed for Rivals, so that
// checking every service of a namespace costs the namespace's size once
// rather than once per service.
type hostIndex struct {
	// byName are the VirtualServices by name.
	byName map[string]*netv1.VirtualService
	// bySidecarHost are the positions, in list order, of the
	// VirtualServices the mesh's sidecars see, by each host they name
	// (resolved as Istio does).
	bySidecarHost map[string][]int
	list          []*netv1.VirtualService
}

func indexHosts(vss []*netv1.VirtualService) *hostIndex {
	x := &hostIndex{byName: make(map[string]*netv1.VirtualService, len(vss)), bySidecarHost: map[string][]int{}, list: vss}
	for i, vs := range vss {
		if vs == nil {
			continue
		}
		x.byName[vs.Name] = vs
		if !forSidecars(vs) {
			continue
		}
		for _, h := range vs.Spec.Hosts {
			h = fqdn(h, vs.Namespace)
			if at := x.bySidecarHost[h]; len(at) == 0 || at[len(at)-1] != i {
				x.bySidecarHost[h] = append(at, i)
			}
		}
	}
	return x
}

// rivals is Rivals over the indexed VirtualServices.
func (x *hostIndex) rivals(svc traffic.Service) []string {
	hosts := svc.Hosts
	if len(hosts) == 0 {
		hosts = []string{svc.Name}
	}
	want := make([]string, len(hosts))
	var candidates []int
	for i, h := range hosts {
		want[i] = fqdn(h, svc.Namespace)
		for _, j := range x.bySidecarHost[want[i]] {
			if !slices.Contains(candidates, j) {
				candidates = append(candidates, j)
			}
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	slices.Sort(candidates)
	ours := x.byName[svc.Name]
	var out []string
	for _, j := range candidates {
		vs := x.list[j]
		if vs.Name == svc.Name || (ours != nil && !older(vs, ours)) {
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
	x := r.listed[svc.Namespace]
	if x == nil {
		return nil
	}
	return x.rivals(svc)
}
