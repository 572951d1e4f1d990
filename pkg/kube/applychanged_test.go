package kube_test

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/kube"
)

func obj(t *testing.T, text string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

func TestUnchanged(t *testing.T) {
	const want = `{apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop, annotations: {aviary.dev/applied: d1}},
  spec: {selector: {app: cart}, ports: [{name: http, port: 80, targetPort: 8080}]}}`
	tests := []struct {
		name string
		have string
		want bool
	}{
		{"the same, with what the server adds", `{apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop, uid: u, annotations: {aviary.dev/applied: d1}},
  spec: {clusterIP: 10.96.0.9, selector: {app: cart}, ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]}}`, true},
		{"another digest: fields were dropped from what is applied", `{apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop, annotations: {aviary.dev/applied: d0}},
  spec: {selector: {app: cart}, ports: [{name: http, port: 80, targetPort: 8080}]}}`, false},
		{"no digest: applied by something else", `{apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop},
  spec: {selector: {app: cart}, ports: [{name: http, port: 80, targetPort: 8080}]}}`, false},
		{"a value changed by hand", `{apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop, annotations: {aviary.dev/applied: d1}},
  spec: {selector: {app: cart}, ports: [{name: http, port: 80, targetPort: 9090}]}}`, false},
		{"a field removed by hand", `{apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop, annotations: {aviary.dev/applied: d1}},
  spec: {ports: [{name: http, port: 80, targetPort: 8080}]}}`, false},
		{"a list item added by hand", `{apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop, annotations: {aviary.dev/applied: d1}},
  spec: {selector: {app: cart}, ports: [{name: http, port: 80, targetPort: 8080}, {name: grpc, port: 81}]}}`, false},
		{"a number as float", `{apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop, annotations: {aviary.dev/applied: d1}},
  spec: {selector: {app: cart}, ports: [{name: http, port: 80.0, targetPort: 8080}]}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kube.Unchanged(obj(t, want), obj(t, tt.have)); got != tt.want {
				t.Errorf("Unchanged = %t, want %t", got, tt.want)
			}
		})
	}
}

// TestApplyChanged applies objects to a real API server twice: the second
// time nothing is applied; an object changed by hand, or one whose given
// fields changed, is applied again and ends as given.
func TestApplyChanged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	ctx := context.Background()
	cl := devenv.SharedCluster(t, devenv.ClusterOptions{})
	if err := cl.EnsureNamespace(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	c, err := kube.Connect(ctx, kube.Options{Kubeconfig: cl.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	objs := func(labels string) []*unstructured.Unstructured {
		return []*unstructured.Unstructured{
			obj(t, `{apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop}, spec: {selector: {app: cart}, ports: [{port: 80, targetPort: 8080}]}}`),
			obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: cart, namespace: shop, labels: `+labels+`}, data: {a: "1"}}`),
			obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: pay, namespace: shop}, data: {a: "1"}}`),
		}
	}
	apply := func(step string, objs []*unstructured.Unstructured, want int) {
		t.Helper()
		n, err := c.ApplyChanged(ctx, objs, 0)
		if err != nil || n != want {
			t.Fatalf("%s: ApplyChanged = %d, %v; want %d applied", step, n, err, want)
		}
	}
	apply("first", objs("{team: a, tier: web}"), 3)
	apply("again", objs("{team: a, tier: web}"), 0)

	cms := cl.Client().CoreV1().ConfigMaps("shop")
	pay, err := cms.Get(ctx, "pay", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pay.Data["a"] = "by hand"
	if _, err := cms.Update(ctx, pay, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	apply("after a change by hand", objs("{team: a, tier: web}"), 1)
	if pay, err = cms.Get(ctx, "pay", metav1.GetOptions{}); err != nil || pay.Data["a"] != "1" {
		t.Fatalf("ConfigMap pay after ApplyChanged: data %v, %v; want a=1 again", pay.Data, err)
	}

	apply("a label dropped", objs("{team: a}"), 1)
	cart, err := cms.Get(ctx, "cart", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cart.Labels["tier"]; ok || cart.Labels["team"] != "a" {
		t.Errorf("ConfigMap cart labels after dropping tier = %v, want team=a without tier", cart.Labels)
	}
	apply("again", objs("{team: a}"), 0)
}
