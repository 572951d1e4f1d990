package istio

import (
	"context"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"
	apiv1 "istio.io/api/networking/v1"
	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// RoutePrefix starts the name of the HTTP route aviary owns in a service's
// VirtualService: aviary-<service>.
const RoutePrefix = "aviary-"

// RouteName is the name of aviary's HTTP route for the named service.
func RouteName(service string) string { return RoutePrefix + service }

// Router routes with VirtualServices and DestinationRules named after the
// service they route.
//
// The objects a Snapshot lists are kept, each to serve once as the base of
// the next write to it, so that a step that lists a namespace and then
// writes every route in it makes one request per route instead of two; so
// is the object a write returns, so that a second write to the same object
// (promote changes a DestinationRule before and after the route) needs no
// read either. A stale base costs nothing but a retry: the update carries
// the resourceVersion it was read at and conflicts. A write the base says
// is needless is checked against a fresh read before it is skipped.
type Router struct {
	client istioclient.Interface

	mu  sync.Mutex
	vss map[string]*netv1.VirtualService
	drs map[string]*netv1.DestinationRule
	// listed keeps every VirtualService of each namespace's last Snapshot,
	// indexed for Rivals.
	listed map[string]*hostIndex
}

// New returns a Router writing through client.
func New(client istioclient.Interface) *Router { return &Router{client: client} }

// ForClients returns a Router of the cluster c talks to, with c's REST
// configuration (host, credentials, rate limits).
func ForClients(c *kube.Clients) (*Router, error) {
	ic, err := istioclient.NewForConfig(c.Config)
	if err != nil {
		return nil, outcome.Invalidf("building an Istio client for %s: %w", c.Host, err)
	}
	return New(ic), nil
}

func key(namespace, name string) string { return namespace + "/" + name }

// takeVS returns, and forgets, the VirtualService a Snapshot listed.
func (r *Router) takeVS(namespace, name string) *netv1.VirtualService {
	r.mu.Lock()
	defer r.mu.Unlock()
	vs := r.vss[key(namespace, name)]
	delete(r.vss, key(namespace, name))
	return vs
}

// keepVS keeps vs, just written, as the base of the next write to it.
func (r *Router) keepVS(vs *netv1.VirtualService) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.vss == nil {
		r.vss = map[string]*netv1.VirtualService{}
	}
	r.vss[key(vs.Namespace, vs.Name)] = vs
}

// keepDR keeps dr, just written, as the base of the next write to it.
func (r *Router) keepDR(dr *netv1.DestinationRule) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.drs == nil {
		r.drs = map[string]*netv1.DestinationRule{}
	}
	r.drs[key(dr.Namespace, dr.Name)] = dr
}

// takeDR returns, and forgets, the DestinationRule a Snapshot listed.
func (r *Router) takeDR(namespace, name string) *netv1.DestinationRule {
	r.mu.Lock()
	defer r.mu.Unlock()
	dr := r.drs[key(namespace, name)]
	delete(r.drs, key(namespace, name))
	return dr
}

var (
	_ traffic.Router       = (*Router)(nil)
	_ traffic.SubsetSetter = (*Router)(nil)
)

// Weights reads aviary's route of svc.
func (r *Router) Weights(ctx context.Context, svc traffic.Service) (traffic.Route, error) {
	var vs *netv1.VirtualService
	err := kube.Retry(ctx, func(ctx context.Context) error {
		var err error
		vs, err = r.client.NetworkingV1().VirtualServices(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return traffic.Route{}, nil
	}
	if err != nil {
		return traffic.Route{}, kube.Classify(err, "reading VirtualService %s", svc)
	}
	return RouteOf(vs, svc.Name), nil
}

// RouteOf reads aviary's route of the named service out of vs.
func RouteOf(vs *netv1.VirtualService, service string) traffic.Route {
	var out traffic.Route
	i := routeIndex(&vs.Spec, service)
	if i < 0 {
		return out
	}
	out.Found = true
	dests := vs.Spec.Http[i].Route
	for _, d := range dests {
		if d.Destination == nil {
			continue
		}
		w := int(d.Weight)
		if len(dests) == 1 && w == 0 {
			w = 100 // Istio's implicit weight of a lone destination
		}
		out.Weights = append(out.Weights, traffic.Weighted{
			Destination: traffic.Destination{Host: d.Destination.Host, Subset: d.Destination.Subset},
			Weight:      w,
		})
	}
	return out
}

// SetWeights writes weights into aviary's route of svc, creating the
// VirtualService (see NewVirtualService) or the route (appended last) if
// missing.
func (r *Router) SetWeights(ctx context.Context, svc traffic.Service, weights []traffic.Weighted) error {
	vss := r.client.NetworkingV1().VirtualServices(svc.Namespace)
	err := kube.Retry(ctx, func(ctx context.Context) error {
		if base := r.takeVS(svc.Namespace, svc.Name); base != nil {
			next := base.DeepCopy()
			if SetRoute(next, svc.Name, weights) {
				return r.updateVS(ctx, next) // a conflict retries with a fresh read
			}
		}
		cur, err := vss.Get(ctx, svc.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			vs := NewVirtualService(svc)
			SetRoute(vs, svc.Name, weights)
			out, err := vss.Create(ctx, vs, metav1.CreateOptions{FieldManager: kube.FieldManager})
			if err == nil {
				r.keepVS(out)
			}
			return err
		}
		if err != nil {
			return err
		}
		next := cur.DeepCopy()
		if !SetRoute(next, svc.Name, weights) {
			r.keepVS(cur)
			return nil
		}
		return r.updateVS(ctx, next)
	})
	return kube.Classify(err, "routing %s", svc)
}

// updateVS writes vs and keeps what the server returned.
func (r *Router) updateVS(ctx context.Context, vs *netv1.VirtualService) error {
	out, err := r.client.NetworkingV1().VirtualServices(vs.Namespace).Update(ctx, vs, metav1.UpdateOptions{FieldManager: kube.FieldManager})
	if err == nil {
		r.keepVS(out)
	}
	return err
}

// NewVirtualService is the VirtualService aviary creates for svc: named
// after it, routing its hosts (its name when none are given) for its
// gateways (the mesh's sidecars when none are given), and exported to every
// namespace: a canary's split must steer every client of the host, whatever
// the mesh's default visibility (defaultVirtualServiceExportTo).
func NewVirtualService(svc traffic.Service) *netv1.VirtualService {
	vs := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: managedLabels()}}
	vs.Spec.Hosts = slices.Clone(svc.Hosts)
	if len(vs.Spec.Hosts) == 0 {
		vs.Spec.Hosts = []string{svc.Name}
	}
	vs.Spec.Gateways = slices.Clone(svc.Gateways)
	vs.Spec.ExportTo = []string{"*"}
	return vs
}

// SetRoute changes vs in place so that aviary's route of the named service
// sends requests by weights, and reports whether anything changed. Every
// other part of vs is left as it was.
func SetRoute(vs *netv1.VirtualService, service string, weights []traffic.Weighted) bool {
	changed := false
	i := routeIndex(&vs.Spec, service)
	if i < 0 {
		vs.Spec.Http = append(vs.Spec.Http, &apiv1.HTTPRoute{Name: RouteName(service)})
		i = len(vs.Spec.Http) - 1
		changed = true
	}
	route := vs.Spec.Http[i]
	want := make([]*apiv1.HTTPRouteDestination, 0, len(weights))
	for _, w := range weights {
		d := &apiv1.HTTPRouteDestination{
			Destination: &apiv1.Destination{Host: w.Destination.Host, Subset: w.Destination.Subset},
			Weight:      int32(w.Weight),
		}
		// Keep what the user set on a destination we route to again
		// (port, header manipulation).
		for _, old := range route.Route {
			if old.Destination != nil && old.Destination.Host == d.Destination.Host && old.Destination.Subset == d.Destination.Subset {
				d.Destination.Port = old.Destination.Port
				d.Headers = old.Headers
			}
		}
		want = append(want, d)
	}
	if !slices.EqualFunc(route.Route, want, func(a, b *apiv1.HTTPRouteDestination) bool { return proto.Equal(a, b) }) {
		route.Route = want
		changed = true
	}
	return changed
}

func routeIndex(spec *apiv1.VirtualService, service string) int {
	name := RouteName(service)
	return slices.IndexFunc(spec.Http, func(h *apiv1.HTTPRoute) bool { return h != nil && h.Name == name })
}

func managedLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/managed-by": "aviary"}
}
