package istio

import (
	"fmt"
	"net"
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// IngressSelector selects the ingress gateway pods of a cluster that
// another mesh reaches this cluster's services through.
var IngressSelector = map[string]any{"istio": "ingressgateway"}

// Remote is a service of another mesh reached through that cluster's
// ingress gateway: Name names the objects aviary writes for it, Host is the
// name the deciding cluster calls it by, Address (host:port) the ingress
// gateway, Service and Namespace the service in that cluster, Subset the
// subset of its host there that the ingress gateway routes to (none: the
// whole host) and Port its port.
type Remote struct {
	Name               string
	Service, Namespace string
	Host               string
	Address            string
	Subset             string
	Port               int
}

// RemoteLabel marks the objects aviary writes for remote services
// (ServiceEntries, and Gateways and VirtualServices at an ingress), with
// the service's name as its value.
const RemoteLabel = "aviary.dev/remote"

func (r Remote) ingress() (string, int64, error) {
	host, port, err := net.SplitHostPort(r.Address)
	if err != nil {
		return "", 0, fmt.Errorf("ingress address %q of %s: %w", r.Address, r.Host, err)
	}
	n, err := strconv.ParseInt(port, 10, 32)
	if err != nil {
		return "", 0, fmt.Errorf("ingress address %q of %s: port: %w", r.Address, r.Host, err)
	}
	return host, n, nil
}

// ServiceEntry is the ServiceEntry that makes r.Host a host of the
// deciding cluster's mesh, in namespace: port r.Port over HTTP, resolved to
// the ingress gateway's address (an IP: static; a name: DNS), outside the
// mesh (another mesh's gateway, not this mesh's mTLS), exported to every
// namespace.
func ServiceEntry(r Remote, namespace string) (*unstructured.Unstructured, error) {
	host, port, err := r.ingress()
	if err != nil {
		return nil, err
	}
	resolution := "DNS"
	if net.ParseIP(host) != nil {
		resolution = "STATIC"
	}
	return remoteObject("ServiceEntry", r, namespace, map[string]any{
		"hosts":      []any{r.Host},
		"location":   "MESH_EXTERNAL",
		"ports":      []any{map[string]any{"number": int64(r.Port), "name": "http", "protocol": "HTTP"}},
		"resolution": resolution,
		"endpoints":  []any{map[string]any{"address": host, "ports": map[string]any{"http": port}}},
		"exportTo":   []any{"*"},
	}), nil
}

// IngressObjects are what the other cluster needs to answer for r.Host:
// a Gateway on its ingress gateway (IngressSelector) taking r.Host on the
// address's port, and a VirtualService bound to it routing r.Host to
// r.Subset of the service's local host, both in the service's namespace.
func IngressObjects(r Remote) ([]*unstructured.Unstructured, error) {
	_, port, err := r.ingress()
	if err != nil {
		return nil, err
	}
	dest := map[string]any{
		"host": fmt.Sprintf("%s.%s.svc.cluster.local", r.Service, r.Namespace),
		"port": map[string]any{"number": int64(r.Port)},
	}
	if r.Subset != "" {
		dest["subset"] = r.Subset
	}
	gw := remoteObject("Gateway", r, r.Namespace, map[string]any{
		"selector": IngressSelector,
		"servers": []any{map[string]any{
			"port":  map[string]any{"number": port, "name": "http-" + r.Service, "protocol": "HTTP"},
			"hosts": []any{r.Host},
		}},
	})
	vs := remoteObject("VirtualService", r, r.Namespace, map[string]any{
		"hosts":    []any{r.Host},
		"gateways": []any{r.Name},
		"http": []any{map[string]any{
			"name":  RouteName(r.Service),
			"route": []any{map[string]any{"destination": dest}},
		}},
	})
	return []*unstructured.Unstructured{gw, vs}, nil
}

func remoteObject(kind string, r Remote, namespace string, spec map[string]any) *unstructured.Unstructured {
	return object(kind, r.Name, namespace, map[string]any{RemoteLabel: r.Service}, spec)
}

func object(kind, name, namespace string, extra map[string]any, spec map[string]any) *unstructured.Unstructured {
	labels := map[string]any{}
	for k, v := range managedLabels() {
		labels[k] = v
	}
	for k, v := range extra {
		labels[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1",
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"spec":       spec,
	}}
}
