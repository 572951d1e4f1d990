package canary

import (
	"context"
	"errors"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// remoteOf is the remote service of istio for entry en of a service whose
// Service listens on port.
func remoteOf(en topology.Entry, port int) istio.Remote {
	return istio.Remote{Name: en.Name(), Service: en.Service, Namespace: en.Side.Namespace, Host: en.Host, Address: en.Address, Subset: en.Subset, Port: port}
}

// entriesOf are the entries of every place's strategy of rs by which side
// (any version of r) is reached from another mesh.
func entriesOf(r Release, side topology.Side, rs ...routing) []topology.Entry {
	var out []topology.Entry
	for _, rt := range rs {
		for _, st := range rt {
			for _, reach := range []topology.Reach{st.Stable(r.Service, ""), st.Canary(r.Service, "")} {
				for _, en := range reach.Entries {
					if en.Side.Same(side.Location) && !slices.ContainsFunc(out, func(o topology.Entry) bool { return o.Name() == en.Name() }) {
						out = append(out, en)
					}
				}
			}
		}
	}
	return out
}

// servicePort is the first port of r's Service, 80 when it has none.
func servicePort(r Release) int {
	for _, o := range r.Shared {
		if o.GetKind() != "Service" {
			continue
		}
		ports, _, _ := unstructured.NestedSlice(o.Object, "spec", "ports")
		for _, p := range ports {
			if m, ok := p.(map[string]any); ok {
				if n, ok, _ := unstructured.NestedInt64(m, "port"); ok && n > 0 {
					return int(n)
				}
			}
		}
	}
	return 80
}

// addIngress adds to a rollout of r what the side's ingress gateway needs
// to answer for each host by which another mesh reaches r there (by any of
// rs): a Gateway and a VirtualService to the side's subset of the service.
func addIngress(ro *rollout, r Release, rs ...routing) error {
	for _, en := range entriesOf(r, ro.side, rs...) {
		objs, err := istio.IngressObjects(remoteOf(en, servicePort(r)))
		if err != nil {
			return err
		}
		ro.objects = append(ro.objects, objs...)
	}
	return nil
}

// remoteRouter is a Mesh that keeps ServiceEntries and ingress routes for
// the hosts of other meshes (istio.Router).
type remoteRouter interface {
	Entries(ctx context.Context, namespace string) (map[string]istio.Listed, error)
	RemoveEntry(ctx context.Context, namespace, name string) error
	RemoveIngress(ctx context.Context, namespace, name string) error
}

// entryKey names a ServiceEntry of a route place.
func entryKey(at topology.Location, name string) string {
	return at.Context + "/" + at.Namespace + "/" + name
}

// applyEntries writes, at each route place, the ServiceEntry of each host
// of another mesh the place's state names that is missing or differs.
func (e *Env) applyEntries(ctx context.Context, st *ServiceState, states []topology.State) error {
	for i, at := range e.Place.Routes {
		for _, en := range states[i].Entries {
			rm := remoteOf(en, st.Port)
			key := entryKey(at, en.Name())
			if have, ok := st.Entries[key]; ok && have == (istio.Listed{Service: en.Service, Host: en.Host, Port: rm.Port, Address: en.Address}) {
				continue
			}
			se, err := istio.ServiceEntry(rm, at.Namespace)
			if err != nil {
				return err
			}
			if err := e.applyAt(ctx, at, se); err != nil {
				return err
			}
			st.Entries[key] = istio.Listed{Service: en.Service, Host: en.Host, Port: rm.Port, Address: en.Address}
		}
	}
	return nil
}

// dropRemotes removes what only served the canary side of r across
// separate meshes once no route names it (states are the routes' last):
// the ServiceEntries at the route places the states do not name, and the
// canary side's ingress Gateway and VirtualService.
func (e *Env) dropRemotes(ctx context.Context, rel *release, st *ServiceState, r Release, states []topology.State) error {
	if !e.remote() {
		return nil
	}
	for i, at := range e.Place.Routes {
		for key, have := range maps.Clone(st.Entries) {
			if have.Service != st.Service || !sameDir(key, at) {
				continue
			}
			name := key[len(entryKey(at, "")):]
			if slices.ContainsFunc(states[i].Entries, func(en topology.Entry) bool { return en.Name() == name }) {
				continue
			}
			m, err := e.remoteMesh(ctx, at.Context)
			if err != nil {
				return err
			}
			e.progress("%s: removing ServiceEntry %s from %s", st.Service, name, at)
			if err := m.RemoveEntry(ctx, at.Namespace, name); err != nil {
				return e.in(at.Context, err)
			}
			delete(st.Entries, key)
		}
	}
	for _, en := range entriesOf(r, rel.canary, rel.routing) {
		m, err := e.remoteMesh(ctx, en.Side.Context)
		if err != nil {
			return err
		}
		if err := m.RemoveIngress(ctx, en.Side.Namespace, en.Name()); err != nil {
			return e.in(en.Side.Context, err)
		}
	}
	return nil
}

var errNoRemotes = errors.New("the mesh keeps no hosts of other meshes")

func sameDir(key string, at topology.Location) bool {
	prefix := entryKey(at, "")
	return len(key) > len(prefix) && key[:len(prefix)] == prefix
}

// remoteMesh is the router of a cluster, as one that keeps remote hosts.
func (e *Env) remoteMesh(ctx context.Context, kubeContext string) (remoteRouter, error) {
	m, err := e.mesh(ctx, kubeContext)
	if err != nil {
		return nil, err
	}
	rm, ok := m.(remoteRouter)
	if !ok {
		return nil, e.in(kubeContext, errNoRemotes)
	}
	return rm, nil
}

func (e *Env) applyAt(ctx context.Context, at topology.Location, obj *unstructured.Unstructured) error {
	c, err := e.clients(ctx, at.Context)
	if err != nil {
		return err
	}
	_, err = c.Apply(ctx, obj)
	return e.in(at.Context, err)
}
