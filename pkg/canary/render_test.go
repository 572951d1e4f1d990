package canary

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func TestRender(t *testing.T) {
	l := loaded("1.2.0", map[string]string{"cart/deploy.yaml": cartManifest, "cart/svc.yaml": cartService})
	r, err := Render(l, "cart", "shop")
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	d := r.Deployment
	if got, want := d.GetName(), "cart-v1-2-0"; got != want {
		t.Errorf("Deployment name = %q, want %q", got, want)
	}
	if got, want := d.GetNamespace(), "shop"; got != want {
		t.Errorf("Deployment namespace = %q, want %q", got, want)
	}
	wantLabels := map[string]string{"app": "cart", "aviary.dev/service": "cart", "aviary.dev/version": "1.2.0"}
	sel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
	if diff := cmp.Diff(wantLabels, sel); diff != "" {
		t.Errorf("selector mismatch (-want +got):\n%s", diff)
	}
	tl, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
	if diff := cmp.Diff(merge(wantLabels, map[string]string{"version": "1.2.0"}), tl); diff != "" {
		t.Errorf("template labels mismatch (-want +got):\n%s (the pods also carry Istio's version label)", diff)
	}
	if got := d.GetLabels()["tier"]; got != "web" {
		t.Errorf("the manifest's own label tier = %q, want it kept", got)
	}
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if got, want := containers[0].(map[string]any)["image"], "registry.example/shop/cart@"+cartDigest; got != want {
		t.Errorf("cart image = %v, want %v", got, want)
	}
	if got, want := containers[1].(map[string]any)["image"], "registry.example/shop/proxy:2"; got != want {
		t.Errorf("proxy image = %v, want it left as %v", got, want)
	}
	if got, want := d.GetAnnotations()[AnnotationReplicas], "3"; got != want {
		t.Errorf("replicas annotation = %q, want %q", got, want)
	}
	if r.Replicas != 3 {
		t.Errorf("Replicas = %d, want 3", r.Replicas)
	}
	var kinds []string
	for _, o := range r.Shared {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
		if o.GetKind() == "Service" {
			s, _, _ := unstructured.NestedStringMap(o.Object, "spec", "selector")
			if diff := cmp.Diff(map[string]string{"app": "cart"}, s); diff != "" {
				t.Errorf("Service selector mismatch (-want +got):\n%s", diff)
			}
		}
	}
	if diff := cmp.Diff([]string{"ConfigMap/cart-config", "Service/cart"}, kinds); diff != "" {
		t.Errorf("shared objects mismatch (-want +got):\n%s", diff)
	}
}

func TestRenderMakesAServiceFromThePort(t *testing.T) {
	l := loaded("1.2.0", map[string]string{"cart/deploy.yaml": cartManifest})
	r, err := Render(l, "cart", "shop")
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	svc := r.Shared[len(r.Shared)-1]
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if svc.GetKind() != "Service" || len(ports) != 1 || ports[0].(map[string]any)["port"] != int64(8080) {
		t.Errorf("generated Service = %v, want one on port 8080 taken from the containerPort", svc.Object)
	}
}

func TestRenderPinsALonePlaceholder(t *testing.T) {
	l := loaded("1.2.0", map[string]string{"cart/d.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart}
spec:
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec: {containers: [{name: c, image: placeholder}]}
`, "cart/svc.yaml": cartService})
	r, err := Render(l, "cart", "shop")
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	containers, _, _ := unstructured.NestedSlice(r.Deployment.Object, "spec", "template", "spec", "containers")
	if got := containers[0].(map[string]any)["image"]; got != "registry.example/shop/cart@"+cartDigest {
		t.Errorf("image = %v, want the pinned image", got)
	}
	if r.Replicas != 1 {
		t.Errorf("Replicas without spec.replicas = %d, want 1", r.Replicas)
	}
}

func TestRenderRejects(t *testing.T) {
	tests := map[string]map[string]string{
		"no Deployment": {"cart/svc.yaml": cartService},
		"two Deployments": {"cart/a.yaml": cartManifest, "cart/b.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: other}
spec: {template: {spec: {containers: [{name: x, image: x}]}}}
`},
		"two containers, none of the image": {"cart/d.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart}
spec: {template: {spec: {containers: [{name: a, image: a}, {name: b, image: b}]}}}
`, "cart/svc.yaml": cartService},
		"no port for the Service": {"cart/d.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart}
spec: {template: {spec: {containers: [{name: a, image: registry.example/shop/cart}]}}}
`},
	}
	for name, files := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Render(loaded("1.2.0", files), "cart", "shop")
			if outcome.KindOf(err) != outcome.KindInvalid {
				t.Errorf("Render error = %v, want an Invalid error", err)
			}
		})
	}
}

func TestSpecHashIgnoresTheVersion(t *testing.T) {
	files := map[string]string{"cart/deploy.yaml": cartManifest, "cart/svc.yaml": cartService}
	a, _ := Render(loaded("1.2.0", files), "cart", "shop")
	b, _ := Render(loaded("1.3.0", files), "cart", "shop")
	if a.SpecHash != b.SpecHash {
		t.Errorf("spec hashes of equal content differ across versions: %s vs %s", a.SpecHash, b.SpecHash)
	}
	files["cart/svc.yaml"] = strings.Replace(cartService, "port: 80", "port: 81", 1)
	c, _ := Render(loaded("1.3.0", files), "cart", "shop")
	if a.SpecHash == c.SpecHash {
		t.Error("spec hash did not change with the manifests")
	}
	files["cart/svc.yaml"] = cartService + "# a comment changes nothing that runs\n"
	d, _ := Render(loaded("1.3.0", files), "cart", "shop")
	if a.SpecHash != d.SpecHash {
		t.Error("spec hash changed with a comment")
	}
	files["cart/svc.yaml"] = cartService
	files["cart/deploy.yaml"] = strings.Replace(cartManifest, "cart:1.0.0", "cart:9.9.9", 1)
	e, _ := Render(loaded("1.3.0", files), "cart", "shop")
	if a.SpecHash != e.SpecHash {
		t.Error("spec hash changed with the tag the manifest names, though the pinned image is the same")
	}
}
