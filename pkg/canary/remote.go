package canary

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// remotes are the hosts of another mesh the canary of r is reached by
// (separate meshes), none when the canary is in this mesh.
func (rel *release) remotes(r Release) []istio.Remote {
	var out []istio.Remote
	for _, en := range rel.strategy.Canary(r.Service, "").Entries {
		out = append(out, istio.Remote{Service: en.Service, Namespace: en.Namespace, Host: en.Host, Address: en.Address, Port: servicePort(r)})
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

// addIngress adds to the canary side's rollout what its ingress gateway
// needs to answer for each remote host of r.
func (rel *release) addIngress(ro *rollout, r Release) error {
	for _, rm := range rel.remotes(r) {
		objs, err := istio.IngressObjects(rm)
		if err != nil {
			return err
		}
		ro.objects = append(ro.objects, objs...)
	}
	return nil
}

// applyEntries writes the ServiceEntry of each remote host of r beside the
// route, at every route place, before the route names it.
func (e *Env) applyEntries(ctx context.Context, rel *release, r Release) error {
	for _, rm := range rel.remotes(r) {
		for _, at := range e.Place.Routes {
			se, err := istio.ServiceEntry(rm, at.Namespace)
			if err != nil {
				return err
			}
			if err := e.applyAt(ctx, at, se); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *Env) applyAt(ctx context.Context, at topology.Location, obj *unstructured.Unstructured) error {
	c, err := e.clients(ctx, at.Context)
	if err != nil {
		return err
	}
	_, err = c.Apply(ctx, obj)
	return e.in(at.Context, err)
}
