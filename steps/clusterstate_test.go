package steps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// These helpers read what the steps left in a namespace through the
// cluster's API only (Deployments, Services, Istio VirtualServices and
// DestinationRules, Leases), never through aviary's own packages, so that
// they judge the steps from the outside.

var (
	virtualServices  = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
	destinationRules = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"}
)

// cluster reads namespaces of one cluster.
type cluster struct {
	kube kubernetes.Interface
	dyn  dynamic.Interface
}

func newCluster(t *testing.T, cfg *rest.Config) *cluster {
	t.Helper()
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{kube: kc, dyn: dc}
}

// state is what a set of namespaces holds, in a form two runs can be
// compared in: names of the namespaces replaced by placeholders, and
// without what the API server or the controllers fill in (uids, versions,
// times, status).
type state struct {
	Deployments      map[string]any `json:"deployments"`
	Services         map[string]any `json:"services"`
	VirtualServices  map[string]any `json:"virtualServices"`
	DestinationRules map[string]any `json:"destinationRules"`
	Leases           map[string]any `json:"leases"`
}

// snapshot reads the state of namespaces, writing each as its placeholder
// (namespaces[i] → names[i]) wherever it appears, and replacing the pairs
// of replace (old, new, ...) too.
func (c *cluster) snapshot(ctx context.Context, namespaces, names []string, replace ...string) (state, error) {
	st := state{Deployments: map[string]any{}, Services: map[string]any{}, VirtualServices: map[string]any{}, DestinationRules: map[string]any{}, Leases: map[string]any{}}
	for i, ns := range namespaces {
		key := func(name string) string { return names[i] + "/" + name }
		deps, err := c.kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return st, err
		}
		for _, d := range deps.Items {
			var images []string
			for _, ctr := range d.Spec.Template.Spec.Containers {
				images = append(images, ctr.Image)
			}
			st.Deployments[key(d.Name)] = map[string]any{
				"replicas": deref(d.Spec.Replicas), "labels": d.Labels, "annotations": ours(d.Annotations),
				"selector": d.Spec.Selector, "podLabels": d.Spec.Template.Labels, "images": images,
			}
		}
		svcs, err := c.kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return st, err
		}
		for _, s := range svcs.Items {
			st.Services[key(s.Name)] = map[string]any{"selector": s.Spec.Selector, "ports": s.Spec.Ports, "labels": s.Labels}
		}
		for gvr, into := range map[schema.GroupVersionResource]map[string]any{virtualServices: st.VirtualServices, destinationRules: st.DestinationRules} {
			list, err := c.dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return st, err
			}
			for _, o := range list.Items {
				into[key(o.GetName())] = map[string]any{"spec": o.Object["spec"], "annotations": ours(o.GetAnnotations()), "labels": o.GetLabels()}
			}
		}
		leases, err := c.kube.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return st, err
		}
		for _, l := range leases.Items {
			st.Leases[key(l.Name)] = deref(l.Spec.HolderIdentity)
		}
	}
	// Through JSON, with the namespace names replaced, so that two lanes
	// compare equal.
	data, err := json.Marshal(st)
	if err != nil {
		return st, err
	}
	for i, ns := range namespaces {
		replace = append(replace, ns, names[i])
	}
	text := strings.NewReplacer(replace...).Replace(string(data))
	var out state
	return out, json.Unmarshal([]byte(text), &out)
}

// ours keeps aviary's annotations (aviary.dev/...): what the controllers
// add is not the steps' doing. The spec hash is left out: it hashes the
// rendered object, namespace included, and the spec is compared itself.
func ours(a map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		if strings.HasPrefix(k, "aviary.dev/") && k != "aviary.dev/spec-hash" {
			out[k] = v
		}
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// invariants checks what must hold in a namespace whatever moment a step
// was killed at, and returns every violation:
//
//   - the weights of each HTTP route of a VirtualService sum to 100;
//   - a destination with weight sends traffic only to a version whose
//     Deployments are all ready (and there is at least one);
//   - a service routes to at most two versions, stable and one canary.
func (c *cluster) invariants(ctx context.Context, ns string) ([]string, error) {
	vss, err := c.dyn.Resource(virtualServices).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, vs := range vss.Items {
		routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
		versions := map[string]bool{}
		for ri, r := range routes {
			dests, _, _ := unstructured.NestedSlice(r.(map[string]any), "route")
			sum := 0
			for _, d := range dests {
				dm := d.(map[string]any)
				w, found, _ := unstructured.NestedInt64(dm, "weight")
				if !found && len(dests) == 1 {
					w = 100
				}
				sum += int(w)
				host, _, _ := unstructured.NestedString(dm, "destination", "host")
				subset, _, _ := unstructured.NestedString(dm, "destination", "subset")
				pods, err := c.podLabels(ctx, ns, host, subset)
				if err != nil {
					return nil, err
				}
				versions[fmt.Sprint(pods)] = true
				if w == 0 {
					continue
				}
				if msg, err := c.ready(ctx, ns, host, pods); err != nil {
					return nil, err
				} else if msg != "" {
					bad = append(bad, fmt.Sprintf("VirtualService %s route %d sends %d%% to %s subset %q: %s", vs.GetName(), ri, w, host, subset, msg))
				}
			}
			if sum != 100 {
				bad = append(bad, fmt.Sprintf("VirtualService %s route %d: weights sum to %d", vs.GetName(), ri, sum))
			}
		}
		if len(versions) > 2 {
			bad = append(bad, fmt.Sprintf("VirtualService %s routes to %d versions: %v", vs.GetName(), len(versions), slices.Sorted(maps.Keys(versions))))
		}
	}
	return bad, nil
}

// podLabels are the labels a destination selects pods by: the Service's
// selector and the DestinationRule subset's labels.
func (c *cluster) podLabels(ctx context.Context, ns, host, subset string) (map[string]string, error) {
	name, hostNS := splitHost(host, ns)
	svc, err := c.kube.CoreV1().Services(hostNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading Service %s/%s of route host %s: %w", hostNS, name, host, err)
	}
	labels := maps.Clone(svc.Spec.Selector)
	if subset == "" {
		return labels, nil
	}
	// A DestinationRule applies from the route's namespace or from the
	// host's (where the engine writes it when a host per namespace
	// separates the versions).
	var items []unstructured.Unstructured
	for _, at := range slices.Compact([]string{ns, hostNS}) {
		drs, err := c.dyn.Resource(destinationRules).Namespace(at).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		items = append(items, drs.Items...)
	}
	for _, dr := range items {
		h, _, _ := unstructured.NestedString(dr.Object, "spec", "host")
		if h != host {
			continue
		}
		subsets, _, _ := unstructured.NestedSlice(dr.Object, "spec", "subsets")
		for _, s := range subsets {
			sm := s.(map[string]any)
			if sm["name"] == subset {
				sl, _, _ := unstructured.NestedStringMap(sm, "labels")
				maps.Copy(labels, sl)
				return labels, nil
			}
		}
	}
	labels["<missing subset>"] = subset
	return labels, nil
}

// ready says what is wrong with the Deployments whose pods carry labels,
// "" when there is at least one and all of them serve every replica. One
// scaled to zero runs no pods, so it gets no traffic and does not count.
func (c *cluster) ready(ctx context.Context, ns, host string, labels map[string]string) (string, error) {
	_, hostNS := splitHost(host, ns)
	deps, err := c.kube.AppsV1().Deployments(hostNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	var matched []string
	var notReady []string
	for _, d := range deps.Items {
		if !contains(d.Spec.Template.Labels, labels) || deref(d.Spec.Replicas) == 0 {
			continue
		}
		matched = append(matched, d.Name)
		if !deploymentReady(&d) {
			notReady = append(notReady, fmt.Sprintf("%s (%d/%d ready)", d.Name, min(d.Status.UpdatedReplicas, d.Status.AvailableReplicas), deref(d.Spec.Replicas)))
		}
	}
	switch {
	case len(matched) == 0:
		return fmt.Sprintf("no Deployment with replicas runs pods labelled %v", labels), nil
	case len(notReady) > 0:
		sort.Strings(notReady)
		return "not ready: " + strings.Join(notReady, ", "), nil
	}
	return "", nil
}

// deploymentReady is `kubectl rollout status` done, with at least a replica.
func deploymentReady(d *appsv1.Deployment) bool {
	want := deref(d.Spec.Replicas)
	st := d.Status
	return want > 0 && st.ObservedGeneration >= d.Generation && st.UpdatedReplicas >= want && st.AvailableReplicas >= want
}

func contains(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// splitHost reads a route host: name, name.ns, or name.ns.svc.cluster.local.
func splitHost(host, ns string) (string, string) {
	parts := strings.Split(host, ".")
	if len(parts) >= 2 {
		return parts[0], parts[1]
	}
	return host, ns
}
