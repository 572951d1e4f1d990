package istio

import (
	"context"
	"maps"
	"slices"

	apiv1 "istio.io/api/networking/v1"
	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// SetSubsets makes the DestinationRule named after svc select subsets by
// their labels and drops the subsets named in remove, creating the rule
// (for host) if missing. Other subsets and the traffic policy stay.
func (r *Router) SetSubsets(ctx context.Context, svc traffic.Service, host string, subsets []traffic.Subset, remove []string) error {
	drs := r.client.NetworkingV1().DestinationRules(svc.Namespace)
	err := kube.Retry(ctx, func(ctx context.Context) error {
		if base := r.takeDR(svc.Namespace, svc.Name); base != nil {
			next := base.DeepCopy()
			if SetSubsets(next, subsets, remove) {
				return r.updateDR(ctx, next) // a conflict retries with a fresh read
			}
		}
		cur, err := drs.Get(ctx, svc.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if len(subsets) == 0 {
				return nil
			}
			dr := &netv1.DestinationRule{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: managedLabels()}}
			dr.Spec.Host = host
			// Exported everywhere, like the route naming its subsets.
			dr.Spec.ExportTo = []string{"*"}
			SetSubsets(dr, subsets, remove)
			out, err := drs.Create(ctx, dr, metav1.CreateOptions{FieldManager: kube.FieldManager})
			if err == nil {
				r.keepDR(out)
			}
			return err
		}
		if err != nil {
			return err
		}
		next := cur.DeepCopy()
		if !SetSubsets(next, subsets, remove) {
			r.keepDR(cur)
			return nil
		}
		return r.updateDR(ctx, next)
	})
	return kube.Classify(err, "setting subsets of DestinationRule %s", svc)
}

// updateDR writes dr and keeps what the server returned.
func (r *Router) updateDR(ctx context.Context, dr *netv1.DestinationRule) error {
	out, err := r.client.NetworkingV1().DestinationRules(dr.Namespace).Update(ctx, dr, metav1.UpdateOptions{FieldManager: kube.FieldManager})
	if err == nil {
		r.keepDR(out)
	}
	return err
}

// SetSubsets changes dr in place and reports whether anything changed. A
// subset that exists keeps its position and traffic policy; a new one is
// appended.
func SetSubsets(dr *netv1.DestinationRule, subsets []traffic.Subset, remove []string) bool {
	changed := false
	for _, name := range remove {
		before := len(dr.Spec.Subsets)
		dr.Spec.Subsets = slices.DeleteFunc(dr.Spec.Subsets, func(s *apiv1.Subset) bool { return s != nil && s.Name == name })
		changed = changed || len(dr.Spec.Subsets) != before
	}
	for _, want := range subsets {
		i := slices.IndexFunc(dr.Spec.Subsets, func(s *apiv1.Subset) bool { return s != nil && s.Name == want.Name })
		if i < 0 {
			dr.Spec.Subsets = append(dr.Spec.Subsets, &apiv1.Subset{Name: want.Name, Labels: maps.Clone(want.Labels)})
			changed = true
			continue
		}
		if !maps.Equal(dr.Spec.Subsets[i].Labels, want.Labels) {
			dr.Spec.Subsets[i].Labels = maps.Clone(want.Labels)
			changed = true
		}
	}
	return changed
}

// Subsets reads the subsets of the DestinationRule named after svc; a
// missing rule has none.
func (r *Router) Subsets(ctx context.Context, svc traffic.Service) ([]traffic.Subset, error) {
	var dr *netv1.DestinationRule
	err := kube.Retry(ctx, func(ctx context.Context) error {
		var err error
		dr, err = r.client.NetworkingV1().DestinationRules(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, kube.Classify(err, "reading DestinationRule %s", svc)
	}
	out := make([]traffic.Subset, 0, len(dr.Spec.Subsets))
	for _, s := range dr.Spec.Subsets {
		if s != nil {
			out = append(out, traffic.Subset{Name: s.Name, Labels: maps.Clone(s.Labels)})
		}
	}
	return out, nil
}
