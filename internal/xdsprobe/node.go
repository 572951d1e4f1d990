package xdsprobe

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

// Kind is the kind of proxy the probe introduces itself as.
type Kind string

const (
	// SidecarKind is a workload's sidecar: it receives the outbound routes
	// of every service it can reach ("80", "8080", ...).
	SidecarKind Kind = "sidecar"
	// RouterKind is a gateway: it receives the routes of the Gateways that
	// select it by Labels ("http.8080", ...).
	RouterKind Kind = "router"
)

// DefaultIstioVersion is the ISTIO_VERSION a Node reports unless told:
// the version of the istiod this repository builds (hack/istiod).
const DefaultIstioVersion = "1.31.0"

// Node is who the probe says it is. istiod tailors what it sends by these.
type Node struct {
	Kind Kind
	// IP is the proxy's address (default 10.255.255.254, outside every
	// devenv pod range, so no real pod is mistaken for the probe).
	IP string
	// Pod and Namespace name the proxy's pod; Namespace decides which
	// VirtualServices and DestinationRules apply (exportTo, Sidecar scope).
	Pod, Namespace string
	// ClusterID is the Istio cluster the proxy runs in (CLUSTER_ID).
	ClusterID string
	// Labels are the pod's labels (LABELS); a Gateway selects its router
	// by them.
	Labels map[string]string
	// IstioVersion is ISTIO_VERSION (default DefaultIstioVersion).
	IstioVersion string
}

// Sidecar is a client sidecar in namespace, in the cluster clusterID.
func Sidecar(namespace, clusterID string) Node {
	return Node{Kind: SidecarKind, Pod: "xdsprobe", Namespace: namespace, ClusterID: clusterID}
}

// Router is a gateway in namespace, in the cluster clusterID, with the
// given pod labels (istio: ingressgateway, ...).
func Router(namespace, clusterID string, labels map[string]string) Node {
	return Node{Kind: RouterKind, Pod: "xdsprobe-gateway", Namespace: namespace, ClusterID: clusterID, Labels: labels}
}

// ID is the node ID istiod parses:
// <kind>~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local.
func (n Node) ID() string {
	n = n.withDefaults()
	return fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", n.Kind, n.IP, n.Pod, n.Namespace, n.Namespace)
}

func (n Node) withDefaults() Node {
	if n.Kind == "" {
		n.Kind = SidecarKind
	}
	if n.IP == "" {
		n.IP = "10.255.255.254"
	}
	if n.Pod == "" {
		n.Pod = "xdsprobe"
	}
	if n.IstioVersion == "" {
		n.IstioVersion = DefaultIstioVersion
	}
	return n
}

func (n Node) validate() error {
	if n.Namespace == "" {
		return fmt.Errorf("node has no namespace")
	}
	if n.ClusterID == "" {
		return fmt.Errorf("node has no cluster ID")
	}
	if n.Kind != "" && n.Kind != SidecarKind && n.Kind != RouterKind {
		return fmt.Errorf("node kind %q is neither %q nor %q", n.Kind, SidecarKind, RouterKind)
	}
	return nil
}

// proto is the Envoy node istiod receives.
func (n Node) proto() (*corev3.Node, error) {
	n = n.withDefaults()
	meta := map[string]any{
		"NAMESPACE":     n.Namespace,
		"CLUSTER_ID":    n.ClusterID,
		"ISTIO_VERSION": n.IstioVersion,
		"NAME":          n.Pod,
	}
	if len(n.Labels) > 0 {
		labels := map[string]any{}
		for k, v := range n.Labels {
			labels[k] = v
		}
		meta["LABELS"] = labels
	}
	s, err := structpb.NewStruct(meta)
	if err != nil {
		return nil, fmt.Errorf("encoding node metadata: %w", err)
	}
	return &corev3.Node{Id: n.ID(), Metadata: s}, nil
}
