package topology

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Labels aviary puts on workloads and selects subsets by.
const (
	// VersionLabel carries a workload's release version (as a label value).
	VersionLabel = "aviary.dev/version"
	// IstioVersionLabel is the label Istio's telemetry reports as
	// destination_version; aviary sets it to the same value.
	IstioVersionLabel = "version"
	// AppLabel names the service a workload belongs to; the Service
	// selects on it alone, so that every version is behind it.
	AppLabel = "app"
	// ClusterLabel is the label istiod puts on the endpoints of each
	// cluster of a multi-cluster mesh; its value is the cluster ID.
	ClusterLabel = "topology.istio.io/cluster"
)

// Subset names aviary owns in a DestinationRule.
const (
	StableSubset = "stable"
	CanarySubset = "canary"
)

// Subsets are the names of every subset aviary owns.
var Subsets = []string{StableSubset, CanarySubset}

// Location is a namespace of a cluster: the kubeconfig context that reaches
// it (empty: the step's own), the cluster's Istio cluster ID, and the
// namespace.
type Location struct {
	Context   string
	ClusterID string
	Namespace string
}

func (l Location) String() string {
	if l.Context == "" {
		return l.Namespace
	}
	return l.Context + "/" + l.Namespace
}

// Same reports whether l and o are the same namespace of the same cluster.
func (l Location) Same(o Location) bool {
	return l.Context == o.Context && l.Namespace == o.Namespace
}

// Side is one place of a topology: which target it is, what it does in a
// release and which services it runs.
type Side struct {
	Role  config.Role
	Parts []config.Part
	Scope config.Scope
	Location
	// Ingress is the address (host:port) of the side's cluster's ingress
	// gateway, with separate meshes.
	Ingress string
}

// Plays reports whether the side plays part.
func (s Side) Plays(part config.Part) bool { return slices.Contains(s.Parts, part) }

// Placement is where a topology puts each object of a release: its sides,
// and the places of the route objects that decide the split.
type Placement struct {
	Kind  config.TopologyKind
	Sides []Side
	// Routes are where the route objects live, in every cluster whose
	// clients they steer; Routes[0] also holds the release's lock and
	// record.
	Routes []Location
	// Canary tells the canary side's versions from the stable side's;
	// empty when the kind has no canary side.
	Canary config.Separation
	// Switch moves traffic to a rebuilt passive side; empty when the kind
	// has none.
	Switch config.Separation
	// Gateway is the ingress Gateway (namespace/name or name) the route at
	// the gateway side binds to beside the mesh's sidecars; empty: the
	// sidecars alone.
	Gateway string
}

// GatewayAt returns the ingress Gateway the route at at binds to, if any.
func (p Placement) GatewayAt(at Location) string {
	if gw, ok := p.Side(config.RoleGateway); ok && p.Gateway != "" && gw.Same(at) {
		return p.Gateway
	}
	return ""
}

// Spans reports whether the placement's sides and routes are in more than
// one cluster (kubeconfig context).
func (p Placement) Spans() bool {
	seen := map[string]bool{}
	for _, s := range p.Sides {
		seen[s.Context] = true
	}
	for _, r := range p.Routes {
		seen[r.Context] = true
	}
	return len(seen) > 1
}

// Home is where the release's lock and record live: the first route place.
func (p Placement) Home() Location { return p.Routes[0] }

// Part returns the side that plays part.
func (p Placement) Part(part config.Part) (Side, bool) {
	for _, s := range p.Sides {
		if s.Plays(part) {
			return s, true
		}
	}
	return Side{}, false
}

// Side returns the side of role.
func (p Placement) Side(role config.Role) (Side, bool) {
	for _, s := range p.Sides {
		if s.Role == role {
			return s, true
		}
	}
	return Side{}, false
}

// Options adjust a placement.
type Options struct {
	// Namespace, when set, is the namespace of a single-cluster topology
	// (the steps' namespace input); any other kind refuses it.
	Namespace string
}

// Place decides the placement of topology t from config.Rules, checking t
// with the same rules as config validation.
func Place(t config.Topology, opts Options) (Placement, error) {
	if t.Kind == "" {
		t.Kind = config.SingleCluster
	}
	rule, ok := config.Rules[t.Kind]
	if !ok {
		return Placement{}, outcome.Invalidf("unknown topology kind %q", t.Kind)
	}
	if opts.Namespace != "" {
		if t.Kind != config.SingleCluster {
			return Placement{}, outcome.Invalidf("the namespace input only applies to a single-cluster topology; topology %q takes its namespaces from its targets", t.Kind)
		}
		t.Targets = []config.Target{{Role: config.RoleRelease, Cluster: clusterOf(t, config.RoleRelease), Namespace: opts.Namespace}}
	}
	if probs := t.Problems(); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, pr := range probs {
			msgs[i] = pr.String()
		}
		return Placement{}, outcome.Invalid(fmt.Errorf("placing topology %s: %w", t.Kind, errors.New(strings.Join(msgs, "; "))))
	}
	p := Placement{Kind: t.Kind}
	p.Canary, p.Switch = rule.Separated(t.Mesh)
	for _, tr := range rule.Targets {
		tg := t.Target(tr.Role)
		if tg == nil {
			continue // an optional target the config does not have
		}
		p.Sides = append(p.Sides, Side{Role: tr.Role, Parts: tr.Parts, Scope: tr.Scope, Location: locationOf(*tg), Ingress: tg.Ingress})
		if tr.Role == config.RoleGateway {
			p.Gateway = tg.Gateway
		}
	}
	for _, r := range t.RouteRoles() {
		p.Routes = append(p.Routes, locationOf(*t.Target(r)))
	}
	return p, nil
}

func locationOf(tg config.Target) Location {
	return Location{Context: tg.Cluster, ClusterID: tg.IstioClusterID(), Namespace: tg.Namespace}
}

func clusterOf(t config.Topology, role config.Role) string {
	if tg := t.Target(role); tg != nil {
		return tg.Cluster
	}
	return ""
}

// Host is the fully qualified mesh host of a service in a namespace.
func Host(service, namespace string) string {
	return fmt.Sprintf("%s.%s.svc.cluster.local", service, namespace)
}
