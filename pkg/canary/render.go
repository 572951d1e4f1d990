package canary

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
)

// Release is one service of a plan made ready to apply in a namespace.
type Release struct {
	Service string
	Version string
	// Image is the service's image pinned by digest.
	Image string
	// SpecHash identifies the service's manifests and image: two releases
	// with equal hashes run the same thing whatever their versions.
	SpecHash string
	// Replicas the Deployment asks for when it serves.
	Replicas int32
	// Deployment is the versioned workload, named DeploymentName.
	Deployment *unstructured.Unstructured
	// Shared are the service's other objects (its Service, ConfigMaps, ...):
	// they are shared by every version of the service.
	Shared []*unstructured.Unstructured
}

// RenderAll renders every service of the plan for namespace, in plan order.
func RenderAll(l *plan.Loaded, namespace string) ([]Release, error) {
	out := make([]Release, 0, len(l.Plan.Services))
	for _, s := range l.Plan.Services {
		r, err := Render(l, s.Name, namespace)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Render turns a service of the plan into the objects to apply in
// namespace. The manifests must hold exactly one Deployment; it is renamed
// per version, labelled, its selector narrowed to the version, and its
// images pinned by digest. The Service named after the service (created
// from the plan's port when the manifests lack one) selects on app alone.
func Render(l *plan.Loaded, service, namespace string) (Release, error) {
	ps := l.Plan.Service(service)
	if ps == nil {
		return Release{}, outcome.Invalidf("plan %s has no service %q", l.Ref, service)
	}
	objs, err := l.ServiceObjects(service)
	if err != nil {
		return Release{}, outcome.Invalidf("reading the manifests of service %q: %w", service, err)
	}
	r := Release{Service: service, Version: l.Plan.Version, Image: ps.Image}
	var deployment *unstructured.Unstructured
	for _, o := range objs {
		o.SetNamespace(namespace)
		if o.GetKind() == "Deployment" && o.GroupVersionKind().Group == "apps" {
			if deployment != nil {
				return Release{}, outcome.Invalidf("service %q: its manifests hold two Deployments (%q and %q); aviary releases one Deployment per service", service, deployment.GetName(), o.GetName())
			}
			deployment = o
		}
	}
	if deployment == nil {
		return Release{}, outcome.Invalidf("service %q: its manifests hold no Deployment (files %v)", service, ps.Manifests)
	}
	if err := pinImages(deployment, r.Image); err != nil {
		return Release{}, outcome.Invalidf("service %q: Deployment %q: %w", service, deployment.GetName(), err)
	}
	// What runs, before anything version-specific is added: equal hashes
	// mean the new version would run exactly what stable runs.
	r.SpecHash = specHash(objs)
	var haveService bool
	for _, o := range objs {
		switch {
		case o == deployment:
			if err := r.renderDeployment(o, l.Ref); err != nil {
				return Release{}, outcome.Invalidf("service %q: Deployment %q: %w", service, o.GetName(), err)
			}
		case o.GetKind() == "Service" && o.GroupVersionKind().Group == "" && o.GetName() == service:
			haveService = true
			if err := unstructured.SetNestedStringMap(o.Object, map[string]string{LabelApp: service}, "spec", "selector"); err != nil {
				return Release{}, outcome.Invalidf("service %q: Service: %w", service, err)
			}
			r.Shared = append(r.Shared, o)
		default:
			r.Shared = append(r.Shared, o)
		}
	}
	if !haveService {
		port := ps.Port
		if port == 0 {
			port = containerPort(r.Deployment)
		}
		if port == 0 {
			return Release{}, outcome.Invalidf("service %q: its manifests have no Service named %q and no port to make one from: set port in aviary.yaml or add a containerPort", service, service)
		}
		r.Shared = append(r.Shared, newService(service, namespace, port))
	}
	return r, nil
}

func (r *Release) renderDeployment(o *unstructured.Unstructured, planRef string) error {
	versionLabel := VersionValue(r.Version)
	o.SetName(DeploymentName(r.Service, r.Version))
	mark := map[string]string{LabelApp: r.Service, LabelService: r.Service, LabelVersion: versionLabel}
	o.SetLabels(merge(o.GetLabels(), mark, map[string]string{LabelManagedBy: ManagedBy}))
	replicas, found, err := nestedInt(o.Object, "spec", "replicas")
	if err != nil {
		return err
	}
	if !found {
		replicas = 1
		if err := unstructured.SetNestedField(o.Object, replicas, "spec", "replicas"); err != nil {
			return err
		}
	}
	r.Replicas = int32(replicas)
	o.SetAnnotations(merge(o.GetAnnotations(), map[string]string{
		AnnotationVersion:  r.Version,
		AnnotationPlan:     planRef,
		AnnotationImage:    r.Image,
		AnnotationSpecHash: r.SpecHash,
		AnnotationReplicas: strconv.FormatInt(replicas, 10),
	}))
	sel, _, err := unstructured.NestedStringMap(o.Object, "spec", "selector", "matchLabels")
	if err != nil {
		return fmt.Errorf("spec.selector.matchLabels: %w", err)
	}
	if err := unstructured.SetNestedStringMap(o.Object, merge(sel, mark), "spec", "selector", "matchLabels"); err != nil {
		return err
	}
	tl, _, err := unstructured.NestedStringMap(o.Object, "spec", "template", "metadata", "labels")
	if err != nil {
		return fmt.Errorf("spec.template.metadata.labels: %w", err)
	}
	// The pods also carry Istio's version label, so that the telemetry of
	// each version is told apart by destination_version.
	pods := merge(tl, mark, map[string]string{LabelIstioVersion: versionLabel})
	if err := unstructured.SetNestedStringMap(o.Object, pods, "spec", "template", "metadata", "labels"); err != nil {
		return err
	}
	r.Deployment = o
	return nil
}

// pinImages sets every container whose image is the service's repository
// to the pinned image. When no container names it and there is exactly
// one container, that one is pinned: a manifest may carry a placeholder.
func pinImages(o *unstructured.Unstructured, pinned string) error {
	want, err := reference.ParseNormalizedNamed(pinned)
	if err != nil {
		return fmt.Errorf("image %q: %w", pinned, err)
	}
	pinnedAny := false
	lists := map[string][]any{}
	for _, field := range []string{"containers", "initContainers"} {
		list, _, err := unstructured.NestedSlice(o.Object, "spec", "template", "spec", field)
		if err != nil {
			return fmt.Errorf("spec.template.spec.%s: %w", field, err)
		}
		for _, c := range list {
			m, _ := c.(map[string]any)
			img, _ := m["image"].(string)
			if named, err := reference.ParseNormalizedNamed(img); err == nil && named.Name() == want.Name() {
				m["image"] = pinned
				pinnedAny = true
			}
		}
		lists[field] = list
	}
	containers := lists["containers"]
	switch {
	case len(containers) == 0:
		return fmt.Errorf("no containers")
	case !pinnedAny && len(containers) != 1:
		return fmt.Errorf("no container uses image %s, and with %d containers aviary cannot tell which should", want.Name(), len(containers))
	case !pinnedAny:
		m, _ := containers[0].(map[string]any)
		if m == nil {
			return fmt.Errorf("container 1 is not a mapping")
		}
		m["image"] = pinned
	}
	for field, list := range lists {
		if len(list) > 0 {
			if err := unstructured.SetNestedSlice(o.Object, list, "spec", "template", "spec", field); err != nil {
				return err
			}
		}
	}
	return nil
}

func containerPort(o *unstructured.Unstructured) int {
	containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
	for _, c := range containers {
		m, _ := c.(map[string]any)
		ports, _, _ := unstructured.NestedSlice(m, "ports")
		for _, p := range ports {
			pm, _ := p.(map[string]any)
			if n, ok, _ := nestedInt(pm, "containerPort"); ok {
				return int(n)
			}
		}
	}
	return 0
}

// nestedInt reads a whole number however the YAML decoder typed it
// (int64, or float64 from a JSON-style decode).
func nestedInt(obj map[string]any, fields ...string) (int64, bool, error) {
	v, found, err := unstructured.NestedFieldNoCopy(obj, fields...)
	if err != nil || !found {
		return 0, found, err
	}
	switch n := v.(type) {
	case int64:
		return n, true, nil
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true, nil
		}
	}
	return 0, true, fmt.Errorf("%s: %v is not a whole number", strings.Join(fields, "."), v)
}

func newService(name, namespace string, port int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata": map[string]any{
			"name": name, "namespace": namespace,
			"labels": map[string]any{LabelApp: name, LabelManagedBy: ManagedBy},
		},
		"spec": map[string]any{
			"selector": map[string]any{LabelApp: name},
			"ports": []any{map[string]any{
				"name": "http", "port": int64(port), "targetPort": int64(port),
			}},
		},
	}}
}

// specHash hashes objects as JSON (map keys sorted), in order.
func specHash(objs []*unstructured.Unstructured) string {
	h := sha256.New()
	for _, o := range objs {
		data, _ := json.Marshal(o.Object)
		h.Write(data)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}
