package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/topology"
)

var (
	virtualServices  = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
	destinationRules = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"}
)

// route is where one service stands, read live from the cluster: the
// destinations of aviary's HTTP route in its VirtualService, each resolved
// to the namespace of its host and the version its subset selects there,
// and aviary's record.
type route struct {
	Service string
	// Stable and Canary are the versions the stable and canary subsets
	// select ("" if none).
	Stable, Canary string
	// StableWeight and CanaryWeight are the route's weights in percent.
	StableWeight, CanaryWeight int
	// Phase and Plan are aviary's record of the service.
	Phase, Plan string
	// Dests are the route's destinations, for the traffic simulation.
	Dests []dest
}

// dest is one destination of a route: where its pods run (the namespace,
// and the cluster ID a cluster subset selects) and its weight.
type dest struct {
	Subset, Namespace, Version, Cluster string
	Weight                              int
}

// readRoutes reads every service's route in namespace, sorted by service.
func readRoutes(ctx context.Context, dyn dynamic.Interface, kube kubernetes.Interface, namespace string) ([]route, error) {
	vss, err := dyn.Resource(virtualServices).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing VirtualServices in %s: %w", namespace, err)
	}
	records, err := kube.CoreV1().ConfigMaps(namespace).List(ctx, metav1.ListOptions{LabelSelector: canary.LabelRecord + "=true"})
	if err != nil {
		return nil, fmt.Errorf("listing aviary's records in %s: %w", namespace, err)
	}
	rec := map[string]map[string]string{}
	for _, cm := range records.Items {
		rec[cm.Labels[canary.LabelService]] = cm.Data
	}
	subsets := map[string]map[string]map[string]selected{} // namespace → rule → subset → what it selects
	selectedBy := func(ns, service, subset string) (selected, error) {
		if _, ok := subsets[ns]; !ok {
			drs, err := dyn.Resource(destinationRules).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return selected{}, fmt.Errorf("listing DestinationRules in %s: %w", ns, err)
			}
			subsets[ns] = map[string]map[string]selected{}
			for _, dr := range drs.Items {
				subsets[ns][dr.GetName()] = subsetSelections(dr)
			}
		}
		return subsets[ns][service][subset], nil
	}
	var out []route
	for _, vs := range vss.Items {
		name := vs.GetName()
		r := route{Service: name, Phase: rec[name]["phase"], Plan: rec[name]["plan"]}
		for _, d := range routeDests(vs, "aviary-"+name) {
			d.Namespace = namespaceOf(d.Namespace, namespace)
			sel, err := selectedBy(d.Namespace, name, d.Subset)
			if err != nil {
				return nil, err
			}
			d.Version, d.Cluster = sel.Version, sel.Cluster
			switch d.Subset {
			case topology.StableSubset:
				r.Stable, r.StableWeight = d.Version, r.StableWeight+d.Weight
			case topology.CanarySubset:
				r.Canary, r.CanaryWeight = d.Version, r.CanaryWeight+d.Weight
			}
			r.Dests = append(r.Dests, d)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out, nil
}

// namespaceOf is the namespace of a host <service>.<namespace>.svc...; a
// short host is in the route's namespace.
func namespaceOf(host, routeNamespace string) string {
	if parts := strings.Split(host, "."); len(parts) >= 2 {
		return parts[1]
	}
	return routeNamespace
}

// routeDests returns the destinations of the named HTTP route, each host
// in Namespace for namespaceOf to resolve. A route with one destination
// and no weight sends it everything.
func routeDests(vs unstructured.Unstructured, name string) []dest {
	https, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	for _, h := range https {
		hm, _ := h.(map[string]any)
		if n, _ := hm["name"].(string); n != name {
			continue
		}
		routes, _ := hm["route"].([]any)
		var out []dest
		for _, d := range routes {
			dm, _ := d.(map[string]any)
			host, _, _ := unstructured.NestedString(dm, "destination", "host")
			subset, _, _ := unstructured.NestedString(dm, "destination", "subset")
			w, found, _ := unstructured.NestedInt64(dm, "weight")
			if !found && len(routes) == 1 {
				w = 100
			}
			out = append(out, dest{Subset: subset, Namespace: host, Weight: int(w)})
		}
		return out
	}
	return nil
}

// selected is what a subset selects: a version, and with cluster subsets
// the cluster ID.
type selected struct{ Version, Cluster string }

// subsetSelections maps each subset of a DestinationRule to the version
// label and the cluster label it selects.
func subsetSelections(dr unstructured.Unstructured) map[string]selected {
	out := map[string]selected{}
	subs, _, _ := unstructured.NestedSlice(dr.Object, "spec", "subsets")
	for _, s := range subs {
		sm, _ := s.(map[string]any)
		name, _ := sm["name"].(string)
		v, _, _ := unstructured.NestedString(sm, "labels", topology.VersionLabel)
		c, _, _ := unstructured.NestedString(sm, "labels", topology.ClusterLabel)
		out[name] = selected{Version: v, Cluster: c}
	}
	return out
}

// printRoutes prints the routes as a small table and, when traffic runs,
// the answers each version gave per second beside the weights.
func printRoutes(out io.Writer, cluster, namespace string, routes []route, traffic map[string]served) {
	at := "namespace " + namespace
	if cluster != "" {
		at = "cluster " + cluster + ", " + at
	}
	fmt.Fprintf(out, "   live routes in %s (VirtualService weights, DestinationRule subsets; @ the cluster a subset selects):\n", at)
	if len(routes) == 0 {
		fmt.Fprintln(out, "     (no VirtualService yet)")
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	header := "     SERVICE\tSTABLE\tCANARY\tWEIGHTS stable/canary\tPHASE"
	if traffic != nil {
		header += "\tANSWERS/s stable/canary\t5xx/s (users saw)"
	}
	fmt.Fprintln(tw, header)
	for _, r := range routes {
		stableAt, canaryAt := dash(r.Stable), dash(r.Canary)
		for _, d := range r.Dests {
			at := where(d, namespace)
			switch {
			case d.Subset == topology.StableSubset && r.Stable != "":
				stableAt = r.Stable + at
			case d.Subset == topology.CanarySubset && r.Canary != "":
				canaryAt = r.Canary + at
			}
		}
		fmt.Fprintf(tw, "     %s\t%s\t%s\t%s\t%s", r.Service, stableAt, canaryAt,
			fmt.Sprintf("%3d / %-3d %s", r.StableWeight, r.CanaryWeight, bar(r.CanaryWeight)), dash(r.Phase))
		if s, ok := traffic[r.Service]; ok {
			fmt.Fprintf(tw, "\t%s\t%s", answerSplit(r, s), fmt.Sprintf("%.1f (%.1f)", s.Failed, s.UsersSaw))
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
}

// where says where a destination's pods run when it is not simply the
// route's namespace: " in <namespace>", " @<cluster>".
func where(d dest, routeNamespace string) string {
	at := ""
	if d.Namespace != routeNamespace {
		at += " in " + d.Namespace
	}
	if d.Cluster != "" {
		at += " @" + d.Cluster
	}
	return at
}

// answerSplit writes the answers per second of the stable and canary
// versions and their share, as "90 / 10  (90% / 10%)"; answers of other
// versions (a route not yet pushed) are added after a plus.
func answerSplit(r route, s served) string {
	var stable, canaryRate, other, total float64
	for v, n := range s.PerSecond {
		switch {
		case v == r.Stable && v != "":
			stable += n
		case v == r.Canary && v != "":
			canaryRate += n
		default:
			other += n
		}
		total += n
	}
	if total == 0 {
		return "no answers"
	}
	text := fmt.Sprintf("%3.0f / %-3.0f (%2.0f%% / %2.0f%%)", stable, canaryRate, 100*stable/total, 100*canaryRate/total)
	if other > 0 {
		text += fmt.Sprintf(" + %.0f other", other)
	}
	return text
}

// bar draws the canary's share of 20 cells.
func bar(weight int) string {
	n := min(max(weight, 0), 100) / 5
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", 20-n) + "]"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
