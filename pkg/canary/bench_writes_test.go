package canary_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	apiv1 "istio.io/api/networking/v1"
	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// BenchmarkWriteCost100 measures what one write of a 100-service release
// costs the API server, by how it is made: each op writes the weights of
// 100 VirtualServices (each with a user's route beside aviary's, as the
// router must keep) once, by Update (the router's way: the whole object,
// guarded by its resourceVersion; also without the managedFields the read
// returned, which the server keeps), by JSON merge patch (spec.http whole,
// with the resourceVersion), by JSON patch (the route's destinations
// only, guarded by a test of the resourceVersion), or by server-side apply
// (not usable for the router: the list is atomic, see package istio), with
// 16 requests in flight; then Update with 1, 4 and 100 in flight; and, for
// the record, a ConfigMap Update. It reports the kube-apiserver's CPU per
// write (ms-apiserver-cpu/write), the wall time of the 100 writes and the
// bytes sent per write.
func BenchmarkWriteCost100(b *testing.B) {
	f := canarytest.StartWith(b, "shop", devenv.ClusterOptions{Nodes: 1})
	w := &wire{}
	var none atomic.Int64
	c := wiredClients(b, f, &none, w)
	ic, err := istioclient.NewForConfig(c.Config)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const n = 100
	vss := ic.NetworkingV1().VirtualServices("shop")
	cms := c.Kube.CoreV1().ConfigMaps("shop")
	for i := range n {
		name := fmt.Sprintf("svc-%03d", i)
		vs := istio.NewVirtualService(traffic.Service{Namespace: "shop", Name: name})
		vs.Spec.Http = append(vs.Spec.Http, &apiv1.HTTPRoute{Name: "users-own", Match: []*apiv1.HTTPMatchRequest{{Uri: &apiv1.StringMatch{MatchType: &apiv1.StringMatch_Prefix{Prefix: "/admin"}}}},
			Route: []*apiv1.HTTPRouteDestination{{Destination: &apiv1.Destination{Host: name, Subset: "stable"}}}})
		istio.SetRoute(vs, name, weightsAt(name, 0))
		if _, err := vss.Create(ctx, vs, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aviary-record-" + name}, Data: map[string]string{"phase": "canary", "stable": "1.0.0", "canary": "1.1.0"}}
		if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	// latest keeps what each write returned: the base of the next, as the
	// router keeps it.
	latest := make([]*netv1.VirtualService, n)
	list, err := vss.List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	copy(latest, list.Items) // listed by name: svc-000 first
	weight := 0
	force := true
	// Each writer sends next, latest's copy at the new weight, its way.
	writers := map[string]func(ctx context.Context, next *netv1.VirtualService) (*netv1.VirtualService, error){
		"update": func(ctx context.Context, next *netv1.VirtualService) (*netv1.VirtualService, error) {
			return vss.Update(ctx, next, metav1.UpdateOptions{FieldManager: kube.FieldManager})
		},
		"update-without-managed-fields": func(ctx context.Context, next *netv1.VirtualService) (*netv1.VirtualService, error) {
			next.ManagedFields = nil // the server keeps the live ones
			return vss.Update(ctx, next, metav1.UpdateOptions{FieldManager: kube.FieldManager})
		},
		"merge-patch": func(ctx context.Context, next *netv1.VirtualService) (*netv1.VirtualService, error) {
			data, _ := json.Marshal(map[string]any{"metadata": map[string]any{"resourceVersion": next.ResourceVersion}, "spec": map[string]any{"http": next.Spec.Http}})
			return vss.Patch(ctx, next.Name, types.MergePatchType, data, metav1.PatchOptions{FieldManager: kube.FieldManager})
		},
		"json-patch": func(ctx context.Context, next *netv1.VirtualService) (*netv1.VirtualService, error) {
			at := len(next.Spec.Http) - 1
			data, _ := json.Marshal([]map[string]any{
				{"op": "test", "path": "/metadata/resourceVersion", "value": next.ResourceVersion},
				{"op": "replace", "path": fmt.Sprintf("/spec/http/%d/route", at), "value": next.Spec.Http[at].Route},
			})
			return vss.Patch(ctx, next.Name, types.JSONPatchType, data, metav1.PatchOptions{FieldManager: kube.FieldManager})
		},
		"apply": func(ctx context.Context, next *netv1.VirtualService) (*netv1.VirtualService, error) {
			// Only aviary's route, as its own field manager would own it.
			vs := istio.NewVirtualService(traffic.Service{Namespace: "shop", Name: next.Name})
			istio.SetRoute(vs, next.Name, weightsAt(next.Name, weight))
			vs.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"}
			data, _ := json.Marshal(vs)
			return vss.Patch(ctx, next.Name, types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "bench-apply", Force: &force})
		},
	}
	// vsWrite writes service i's route at weight by how, keeping what the
	// server returned as the base of the next write.
	vsWrite := func(how string) func(context.Context, int) error {
		write := writers[how]
		return func(ctx context.Context, i int) error {
			next := latest[i].DeepCopy()
			istio.SetRoute(next, next.Name, weightsAt(next.Name, weight))
			out, err := write(ctx, next)
			if err == nil {
				latest[i] = out
			}
			return err
		}
	}
	records := make([]*corev1.ConfigMap, n)
	recordWriter := func(ctx context.Context, i int) error {
		if records[i] == nil {
			cm, err := cms.Get(ctx, fmt.Sprintf("aviary-record-svc-%03d", i), metav1.GetOptions{})
			if err != nil {
				return err
			}
			records[i] = cm
		}
		next := records[i].DeepCopy()
		next.Data["weight"] = fmt.Sprint(weight)
		out, err := cms.Update(ctx, next, metav1.UpdateOptions{FieldManager: kube.FieldManager})
		if err == nil {
			records[i] = out
		}
		return err
	}
	cases := []struct {
		name     string
		write    func(context.Context, int) error
		parallel int
	}{
		{"vs-update-16", vsWrite("update"), 16},
		{"vs-update-without-managed-fields-16", vsWrite("update-without-managed-fields"), 16},
		{"vs-merge-patch-16", vsWrite("merge-patch"), 16},
		{"vs-json-patch-16", vsWrite("json-patch"), 16},
		{"vs-apply-16", vsWrite("apply"), 16},
		{"vs-update-1", vsWrite("update"), 1},
		{"vs-update-4", vsWrite("update"), 4},
		{"vs-update-100", vsWrite("update"), 100},
		{"configmap-update-16", recordWriter, 16},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var wall, cpu time.Duration
			w.reset()
			for range b.N {
				weight = 10 + (weight+10)%80
				before := controlPlaneCPUByProcess(f)
				t0 := time.Now()
				g, gctx := errgroup.WithContext(ctx)
				g.SetLimit(tc.parallel)
				for i := range n {
					g.Go(func() error { return tc.write(gctx, i) })
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
				wall += time.Since(t0)
				cpu += apiserverCPU(controlPlaneCPUByProcess(f)) - apiserverCPU(before)
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N*n), "ms-apiserver-cpu/write")
			b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms-100-writes")
			b.ReportMetric(float64(w.sent.Load())/float64(b.N*n), "bytes-sent/write")
		})
	}
}

// weightsAt is the canary split of name at weight.
func weightsAt(name string, weight int) []traffic.Weighted {
	return []traffic.Weighted{
		{Destination: traffic.Destination{Host: name, Subset: "stable"}, Weight: 100 - weight},
		{Destination: traffic.Destination{Host: name, Subset: "canary"}, Weight: weight},
	}
}

// apiserverCPU is the kube-apiserver's share of a controlPlaneCPUByProcess.
func apiserverCPU(by map[string]time.Duration) time.Duration {
	var out time.Duration
	for name, d := range by {
		if strings.HasPrefix(name, "kube-apiserver") {
			out += d
		}
	}
	return out
}
