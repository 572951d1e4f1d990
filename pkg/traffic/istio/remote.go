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
// ingress gateway: Host is the name the deciding cluster calls it by,
// Address (host:port) the ingress gateway, Service and Namespace the
// service in that cluster and Port its port.
type Remote struct {
	Service, Namespace string
	Host               string
	Address            string
	Port               int
}

// RemoteName names the objects aviary writes for a remote service:
// aviary-remote-<service>.
func RemoteName(service string) string { return "aviary-remote-" + service }

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
	return object("ServiceEntry", RemoteName(r.Service), namespace, map[string]any{
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
// address's port, and a VirtualService bound to it routing r.Host to the
// service's local host, both in the service's namespace.
func IngressObjects(r Remote) ([]*unstructured.Unstructured, error) {
	_, port, err := r.ingress()
	if err != nil {
		return nil, err
	}
	name := RemoteName(r.Service)
	gw := object("Gateway", name, r.Namespace, map[string]any{
		"selector": IngressSelector,
		"servers": []any{map[string]any{
			"port":  map[string]any{"number": port, "name": "http-" + r.Service, "protocol": "HTTP"},
			"hosts": []any{r.Host},
		}},
	})
	vs := object("VirtualService", name, r.Namespace, map[string]any{
		"hosts":    []any{r.Host},
		"gateways": []any{name},
		"http": []any{map[string]any{
			"name": RouteName(r.Service),
			"route": []any{map[string]any{"destination": map[string]any{
				"host": fmt.Sprintf("%s.%s.svc.cluster.local", r.Service, r.Namespace),
				"port": map[string]any{"number": int64(r.Port)},
			}}},
		}},
	})
	return []*unstructured.Unstructured{gw, vs}, nil
}

func object(kind, name, namespace string, spec map[string]any) *unstructured.Unstructured {
	labels := map[string]any{}
	for k, v := range managedLabels() {
		labels[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1",
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"spec":       spec,
	}}
}
