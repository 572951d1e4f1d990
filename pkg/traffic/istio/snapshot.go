package istio

import (
	"context"
	"maps"

	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// Snapshot reads, with one list of each kind, aviary's route and the
// subsets of every service routed in namespace, keyed by service name.
// Services without a VirtualService or a DestinationRule are absent from
// the corresponding map. The objects listed serve as the base of the next
// write to each (see Router).
func (r *Router) Snapshot(ctx context.Context, namespace string) (map[string]traffic.Route, map[string][]traffic.Subset, error) {
	var vss *netv1.VirtualServiceList
	var drs *netv1.DestinationRuleList
	err := kube.Retry(ctx, func(ctx context.Context) error {
		var err error
		vss, err = r.client.NetworkingV1().VirtualServices(namespace).List(ctx, metav1.ListOptions{})
		return err
	})
	if err != nil {
		return nil, nil, kube.Classify(err, "listing VirtualServices in namespace %q", namespace)
	}
	err = kube.Retry(ctx, func(ctx context.Context) error {
		var err error
		drs, err = r.client.NetworkingV1().DestinationRules(namespace).List(ctx, metav1.ListOptions{})
		return err
	})
	if err != nil {
		return nil, nil, kube.Classify(err, "listing DestinationRules in namespace %q", namespace)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.vss == nil {
		r.vss, r.drs = map[string]*netv1.VirtualService{}, map[string]*netv1.DestinationRule{}
		r.listed = map[string]*hostIndex{}
	}
	r.listed[namespace] = indexHosts(vss.Items)
	routes := make(map[string]traffic.Route, len(vss.Items))
	for _, vs := range vss.Items {
		routes[vs.Name] = RouteOf(vs, vs.Name)
		r.vss[key(namespace, vs.Name)] = vs
	}
	subsets := make(map[string][]traffic.Subset, len(drs.Items))
	for _, dr := range drs.Items {
		r.drs[key(namespace, dr.Name)] = dr
		var ss []traffic.Subset
		for _, s := range dr.Spec.Subsets {
			if s != nil {
				ss = append(ss, traffic.Subset{Name: s.Name, Labels: maps.Clone(s.Labels)})
			}
		}
		subsets[dr.Name] = ss
	}
	return routes, subsets, nil
}
