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

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/topology"
)

var (
	virtualServices  = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
	destinationRules = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"}
)

// route is where one service stands, read live from the cluster: the
// weights of aviary's HTTP route in its VirtualService, the versions its
// DestinationRule's subsets select, and aviary's record.
type route struct {
	Service string
	// Stable and Canary are the versions the subsets select ("" if none).
	Stable, Canary string
	// StableWeight and CanaryWeight are the route's weights in percent.
	StableWeight, CanaryWeight int
	// Phase and Plan are aviary's record on the VirtualService.
	Phase, Plan string
	// Weights maps subset names to weights, for the traffic simulation.
	Weights map[string]int
	// Subsets maps subset names to the version label they select.
	Subsets map[string]string
}

// readRoutes reads every service's route in namespace, sorted by service.
func readRoutes(ctx context.Context, dyn dynamic.Interface, namespace string) ([]route, error) {
	vss, err := dyn.Resource(virtualServices).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing VirtualServices in %s: %w", namespace, err)
	}
	drs, err := dyn.Resource(destinationRules).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing DestinationRules in %s: %w", namespace, err)
	}
	subsets := map[string]map[string]string{}
	for _, dr := range drs.Items {
		subsets[dr.GetName()] = subsetVersions(dr)
	}
	var out []route
	for _, vs := range vss.Items {
		name := vs.GetName()
		r := route{
			Service: name,
			Phase:   vs.GetAnnotations()[canary.RecordPhase],
			Plan:    vs.GetAnnotations()[canary.RecordPlan],
			Weights: routeWeights(vs, "aviary-"+name),
			Subsets: subsets[name],
		}
		r.Stable = r.Subsets[topology.StableSubset]
		r.Canary = r.Subsets[topology.CanarySubset]
		r.StableWeight = r.Weights[topology.StableSubset]
		r.CanaryWeight = r.Weights[topology.CanarySubset]
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out, nil
}

// routeWeights returns the weights by subset of the named HTTP route. A
// route with one destination and no weight sends it everything.
func routeWeights(vs unstructured.Unstructured, name string) map[string]int {
	https, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	for _, h := range https {
		hm, _ := h.(map[string]any)
		if n, _ := hm["name"].(string); n != name {
			continue
		}
		dests, _ := hm["route"].([]any)
		weights := map[string]int{}
		for _, d := range dests {
			dm, _ := d.(map[string]any)
			subset, _, _ := unstructured.NestedString(dm, "destination", "subset")
			w, found, _ := unstructured.NestedInt64(dm, "weight")
			if !found && len(dests) == 1 {
				w = 100
			}
			weights[subset] += int(w)
		}
		return weights
	}
	return map[string]int{}
}

// subsetVersions maps each subset of a DestinationRule to the version label
// it selects.
func subsetVersions(dr unstructured.Unstructured) map[string]string {
	out := map[string]string{}
	subs, _, _ := unstructured.NestedSlice(dr.Object, "spec", "subsets")
	for _, s := range subs {
		sm, _ := s.(map[string]any)
		name, _ := sm["name"].(string)
		v, _, _ := unstructured.NestedString(sm, "labels", topology.VersionLabel)
		out[name] = v
	}
	return out
}

// printRoutes prints the routes as a small table.
func printRoutes(out io.Writer, namespace string, routes []route) {
	fmt.Fprintf(out, "   live routes in namespace %s (VirtualService weights, DestinationRule subsets):\n", namespace)
	if len(routes) == 0 {
		fmt.Fprintln(out, "     (no VirtualService yet)")
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "     SERVICE\tSTABLE\tCANARY\tWEIGHTS stable/canary\tPHASE")
	for _, r := range routes {
		fmt.Fprintf(tw, "     %s\t%s\t%s\t%s\t%s\n", r.Service, dash(r.Stable), dash(r.Canary),
			fmt.Sprintf("%3d / %-3d %s", r.StableWeight, r.CanaryWeight, bar(r.CanaryWeight)), dash(r.Phase))
	}
	_ = tw.Flush()
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
