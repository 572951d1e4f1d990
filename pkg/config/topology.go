package config

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Part is what a target's place does in a release.
type Part string

// The parts a place plays.
const (
	// PartStable serves the release: the route's stable destination.
	PartStable Part = "stable"
	// PartCanary runs the versions under test.
	PartCanary Part = "canary"
	// PartPassive is the other side of a blue/green: rebuilt whole from a
	// plan while it serves nothing, then switched to.
	PartPassive Part = "passive"
	// PartGateway holds the route that decides the split and runs no
	// service of the release.
	PartGateway Part = "gateway"
)

// Scope says which services of a release a place runs.
type Scope string

// The scopes.
const (
	// ScopeChanged: only the services whose version changed.
	ScopeChanged Scope = "changed"
	// ScopeAll: every service of the release.
	ScopeAll Scope = "all"
)

// Separation says how the mesh tells apart two places' versions of a
// service.
type Separation string

// The separations.
const (
	// VersionSubsets: one host, DestinationRule subsets selecting the
	// version label.
	VersionSubsets Separation = "version-subsets"
	// HostPerNamespace: the host of each namespace
	// (<service>.<namespace>.svc.cluster.local).
	HostPerNamespace Separation = "host-per-namespace"
	// ClusterSubsets: one host across the clusters of one mesh, subsets
	// selecting Istio's topology.istio.io/cluster label and the version.
	ClusterSubsets Separation = "cluster-subsets"
	// RemoteHost: separate meshes; the other cluster is a host of its own
	// (a ServiceEntry reaching its ingress gateway).
	RemoteHost Separation = "remote-host"
)

// Distance says how far apart two targets must be.
type Distance string

// The distances.
const (
	// OtherCluster: different kubeconfig contexts.
	OtherCluster Distance = "other-cluster"
	// OtherNamespace: the same cluster, different namespaces.
	OtherNamespace Distance = "other-namespace"
)

// TargetRule is one target a topology kind takes.
type TargetRule struct {
	Role     Role
	Optional bool
	// Parts are what the target's place does; single-cluster's one place
	// is both stable and canary.
	Parts []Part
	// Scope is which services run there; empty for a gateway.
	Scope Scope
}

// Apart says that the targets of roles A and B must be Distance apart.
type Apart struct {
	A, B     Role
	Distance Distance
}

// TopologyRule is what a topology kind needs and means. The one table of
// them, Rules, is read by Validate and by package topology, which places a
// release's objects from it.
type TopologyRule struct {
	Targets []TargetRule
	Apart   []Apart
	// Canary is how the canary part's versions are told apart from the
	// stable part's; empty when the kind has no canary part.
	Canary Separation
	// Switch is how traffic moves to a rebuilt passive part; empty when the
	// kind has none.
	Switch Separation
	// Routes are the roles whose places hold the route objects
	// (VirtualService, DestinationRules): a route applies where clients
	// run, so with several primaries of one mesh it is written to each.
	// The first holds the release's lock and record.
	Routes []Role
	// GatewayRoutes, when the config has a gateway target, replaces Routes:
	// the gateway's route alone decides.
	GatewayRoutes bool
}

// Rules is the table of topology kinds.
var Rules = map[TopologyKind]TopologyRule{
	SingleCluster: {
		Targets: []TargetRule{{Role: RoleRelease, Parts: []Part{PartStable, PartCanary}, Scope: ScopeChanged}},
		Canary:  VersionSubsets,
		Routes:  []Role{RoleRelease},
	},
	CanaryNamespace: {
		Targets: []TargetRule{
			{Role: RoleStable, Parts: []Part{PartStable}, Scope: ScopeAll},
			{Role: RoleCanary, Parts: []Part{PartCanary}, Scope: ScopeChanged},
		},
		Apart:  []Apart{{RoleStable, RoleCanary, OtherNamespace}},
		Canary: HostPerNamespace,
		Routes: []Role{RoleStable},
	},
	BlueGreenNamespaces: {
		Targets: []TargetRule{
			{Role: RoleActive, Parts: []Part{PartStable}, Scope: ScopeAll},
			{Role: RolePassive, Parts: []Part{PartPassive}, Scope: ScopeAll},
		},
		Apart:  []Apart{{RoleActive, RolePassive, OtherNamespace}},
		Switch: HostPerNamespace,
		Routes: []Role{RoleActive},
	},
	BlueGreenClusters: {
		Targets: []TargetRule{
			{Role: RoleActive, Parts: []Part{PartStable}, Scope: ScopeAll},
			{Role: RolePassive, Parts: []Part{PartPassive}, Scope: ScopeAll},
			{Role: RoleGateway, Optional: true, Parts: []Part{PartGateway}},
		},
		Apart:         []Apart{{RoleActive, RolePassive, OtherCluster}},
		Switch:        ClusterSubsets,
		Routes:        []Role{RoleActive, RolePassive, RoleGateway},
		GatewayRoutes: true,
	},
	DeltaCanaryCluster: {
		Targets: []TargetRule{
			{Role: RoleStable, Parts: []Part{PartStable}, Scope: ScopeAll},
			{Role: RoleCanary, Parts: []Part{PartCanary}, Scope: ScopeChanged},
		},
		Apart:  []Apart{{RoleStable, RoleCanary, OtherCluster}},
		Canary: ClusterSubsets,
		Routes: []Role{RoleStable},
	},
	RebuiltCanaryCluster: {
		Targets: []TargetRule{
			{Role: RoleStable, Parts: []Part{PartStable}, Scope: ScopeAll},
			{Role: RoleCanary, Parts: []Part{PartCanary}, Scope: ScopeAll},
		},
		Apart:  []Apart{{RoleStable, RoleCanary, OtherCluster}},
		Canary: ClusterSubsets,
		Routes: []Role{RoleStable},
	},
	ActivePassiveCanaryNamespace: {
		Targets: []TargetRule{
			{Role: RoleActive, Parts: []Part{PartStable}, Scope: ScopeAll},
			{Role: RoleCanary, Parts: []Part{PartCanary}, Scope: ScopeChanged},
			{Role: RolePassive, Parts: []Part{PartPassive}, Scope: ScopeAll},
		},
		Apart:  []Apart{{RoleActive, RoleCanary, OtherNamespace}, {RoleActive, RolePassive, OtherCluster}},
		Canary: HostPerNamespace,
		Switch: ClusterSubsets,
		Routes: []Role{RoleActive},
	},
	GatewayRoutedClusters: {
		Targets: []TargetRule{
			{Role: RoleGateway, Parts: []Part{PartGateway}},
			{Role: RoleStable, Parts: []Part{PartStable}, Scope: ScopeAll},
			{Role: RoleCanary, Parts: []Part{PartCanary}, Scope: ScopeChanged},
		},
		Apart:  []Apart{{RoleStable, RoleCanary, OtherCluster}},
		Canary: ClusterSubsets,
		Routes: []Role{RoleGateway},
	},
}

// Kinds returns every topology kind, in documentation order.
func Kinds() []TopologyKind {
	return []TopologyKind{SingleCluster, CanaryNamespace, BlueGreenNamespaces, BlueGreenClusters, DeltaCanaryCluster,
		RebuiltCanaryCluster, ActivePassiveCanaryNamespace, GatewayRoutedClusters}
}

// Roles returns the roles a kind requires and the ones it also allows.
func (k TopologyKind) Roles() (required, optional []Role) {
	for _, tr := range Rules[k].Targets {
		if tr.Optional {
			optional = append(optional, tr.Role)
		} else {
			required = append(required, tr.Role)
		}
	}
	return required, optional
}

// Target returns the target with role r, or nil.
func (t *Topology) Target(r Role) *Target {
	for i := range t.Targets {
		if t.Targets[i].Role == r {
			return &t.Targets[i]
		}
	}
	return nil
}

// RouteRoles returns the roles whose places hold t's route objects, the
// first holding the lock and the record: the gateway's alone when the kind
// routes from a gateway and t has one, else every role of the kind's
// Routes that t has a target for.
func (t *Topology) RouteRoles() []Role {
	rule := Rules[t.Kind]
	if rule.GatewayRoutes && t.Target(RoleGateway) != nil {
		return []Role{RoleGateway}
	}
	var out []Role
	for _, r := range rule.Routes {
		if t.Target(r) != nil {
			out = append(out, r)
		}
	}
	return out
}

// UsesClusterIDs reports whether the kind tells places apart by Istio
// cluster ID, so that its targets need one.
func (r TopologyRule) UsesClusterIDs() bool {
	return r.Canary == ClusterSubsets || r.Switch == ClusterSubsets
}

func roleNames(roles []Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func (t *Topology) validate(l *problemList) {
	rule, known := Rules[t.Kind]
	switch {
	case t.Kind == "":
		l.add("topology.kind", "is required: one of %s", kindNames())
	case !known:
		l.add("topology.kind", "%q is not a topology kind: one of %s", t.Kind, kindNames())
	}
	required, optional := t.Kind.Roles()
	allowed := append(slices.Clone(required), optional...)
	seen := map[Role]int{}
	for i, tg := range t.Targets {
		p := fmt.Sprintf("topology.targets[%d]", i)
		switch {
		case tg.Role == "":
			l.add(p+".role", "is required")
		case !validRole(tg.Role):
			l.add(p+".role", "%q is not a role: one of stable, canary, active, passive, gateway, release", tg.Role)
		case known && !slices.Contains(allowed, tg.Role):
			l.add(p+".role", "%s takes no %s target; it takes %s", t.Kind, tg.Role, roleNames(allowed))
		default:
			if j, dup := seen[tg.Role]; dup {
				l.add(p+".role", "a second %s target (also topology.targets[%d])", tg.Role, j)
			} else {
				seen[tg.Role] = i
			}
		}
		if msg := checkLabel(tg.Namespace); msg != "" {
			l.add(p+".namespace", "%s", msg)
		}
		if tg.Gateway != "" {
			if tg.Role != RoleGateway {
				l.add(p+".gateway", "only a gateway target binds the route to an ingress Gateway; the %s target cannot", tg.Role)
			} else if msg := checkGatewayName(tg.Gateway); msg != "" {
				l.add(p+".gateway", "%s", msg)
			}
		}
		if tg.PrometheusURL != "" {
			if tg.Role == RoleGateway {
				l.add(p+".prometheusURL", "the gateway target runs no service of the release, so no metric of it is analysed; give the Prometheus of the clusters the stable and canary targets run in")
			} else if err := checkHTTPURL(tg.PrometheusURL); err != nil {
				// The URL may carry credentials: name the field, never the value.
				l.add(p+".prometheusURL", "%v", err)
			}
		}
		if strings.ContainsAny(tg.ClusterID, " \t\n") || len(tg.ClusterID) > 253 {
			l.add(p+".clusterID", "%q is not an Istio cluster ID: up to 253 characters, no white space", tg.ClusterID)
		}
	}
	if !known {
		return
	}
	var missing []Role
	for _, r := range required {
		if _, ok := seen[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		l.add("topology.targets", "%s needs targets with roles %s; missing %s", t.Kind, roleNames(required), roleNames(missing))
		return
	}
	for _, a := range rule.Apart {
		if msg := apart(t.Target(a.A), t.Target(a.B), a.Distance); msg != "" {
			l.add("topology.targets", "%s %s", t.Kind, msg)
		}
	}
	separated := rule
	separated.Canary, separated.Switch = rule.Separated(t.Mesh)
	for _, pair := range sameNamespace(separated) {
		a, b := t.Target(pair[0]), t.Target(pair[1])
		if a.Namespace != b.Namespace {
			l.add("topology.targets", "%s joins a service across clusters by namespace sameness (one host, subsets per cluster): the %s and %s targets need one namespace; they say %q and %q", t.Kind, a.Role, b.Role, a.Namespace, b.Namespace)
		}
	}
	t.validateMesh(l, rule)
	if rule.UsesClusterIDs() && t.Mesh != MeshSeparate {
		for i, tg := range t.Targets {
			if tg.Role != RoleGateway && tg.IstioClusterID() == "" {
				l.add(fmt.Sprintf("topology.targets[%d]", i), "%s tells clusters apart by their Istio cluster IDs: give the %s target a cluster (the kubeconfig context, whose name is the default ID) or a clusterID", t.Kind, tg.Role)
			}
		}
	}
}

// Separated returns the rule's separations for the mesh mode: with
// separate meshes, cluster subsets become a remote host per cluster.
func (r TopologyRule) Separated(mode MeshMode) (canary, switched Separation) {
	canary, switched = r.Canary, r.Switch
	if mode == MeshSeparate {
		if canary == ClusterSubsets {
			canary = RemoteHost
		}
		if switched == ClusterSubsets {
			switched = RemoteHost
		}
	}
	return canary, switched
}

// validateMesh checks the mesh mode and, for separate meshes, that every
// target the deciding cluster reaches through an ingress gateway names it.
func (t *Topology) validateMesh(l *problemList, rule TopologyRule) {
	switch t.Mesh {
	case "", MeshOne:
		for i, tg := range t.Targets {
			if tg.Ingress != "" {
				l.add(fmt.Sprintf("topology.targets[%d].ingress", i), "only applies to separate meshes (topology.mesh: separate)")
			}
		}
		return
	case MeshSeparate:
	default:
		l.add("topology.mesh", "%q is not a mesh mode: one or separate", t.Mesh)
		return
	}
	if !rule.UsesClusterIDs() {
		l.add("topology.mesh", "separate meshes only apply to the cluster topologies; %s runs in one cluster", t.Kind)
		return
	}
	var routes []*Target
	for _, r := range t.RouteRoles() {
		routes = append(routes, t.Target(r))
	}
	for i, tg := range t.Targets {
		p := fmt.Sprintf("topology.targets[%d].ingress", i)
		if tg.Ingress != "" {
			if msg := checkIngress(tg.Ingress); msg != "" {
				l.add(p, "%s", msg)
			}
			continue
		}
		if tg.Role == RoleGateway {
			continue
		}
		// Every cluster holding a route reaches the target's services in
		// another cluster through its ingress gateway.
		for _, r := range routes {
			if r.Cluster != tg.Cluster {
				l.add(p, "is required: with separate meshes the %s cluster (%s) reaches the %s target's services through its ingress gateway; give its address as host:port", r.Role, r.Cluster, tg.Role)
				break
			}
		}
	}
}

// checkGatewayName returns what is wrong with a Gateway's name:
// namespace/name or name, each a DNS-1123 label or subdomain.
func checkGatewayName(name string) string {
	ns, n, qualified := strings.Cut(name, "/")
	if !qualified {
		ns, n = "", name
	}
	if (qualified && checkLabel(ns) != "") || len(validation.IsDNS1123Subdomain(n)) > 0 {
		return fmt.Sprintf("%q is not a Gateway name: namespace/name or name", name)
	}
	return ""
}

// checkIngress returns what is wrong with an ingress address.
func checkIngress(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return fmt.Sprintf("%q is not host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("%q: port %q is not 1 to 65535", addr, port)
	}
	if net.ParseIP(host) == nil && len(validation.IsDNS1123Subdomain(host)) > 0 {
		return fmt.Sprintf("%q: %q is neither an IP address nor a DNS name", addr, host)
	}
	return ""
}

// sameNamespace returns the pairs of roles whose places one host spans, by
// cluster subsets: they must have one namespace.
func sameNamespace(rule TopologyRule) [][2]Role {
	var stable, canary, passive Role
	for _, tr := range rule.Targets {
		switch {
		case slices.Contains(tr.Parts, PartStable):
			stable = tr.Role
		case slices.Contains(tr.Parts, PartCanary):
			canary = tr.Role
		case slices.Contains(tr.Parts, PartPassive):
			passive = tr.Role
		}
	}
	var out [][2]Role
	if rule.Canary == ClusterSubsets && canary != "" {
		out = append(out, [2]Role{stable, canary})
	}
	if rule.Switch == ClusterSubsets && passive != "" {
		out = append(out, [2]Role{stable, passive})
	}
	return out
}

// apart checks that a and b are d apart, returning what is wrong.
func apart(a, b *Target, d Distance) string {
	switch {
	case d == OtherCluster && a.Cluster == b.Cluster:
		return fmt.Sprintf("needs the %s and %s targets in different clusters; both say %q", a.Role, b.Role, a.Cluster)
	case d == OtherCluster && a.IstioClusterID() != "" && a.IstioClusterID() == b.IstioClusterID():
		return fmt.Sprintf("needs the %s and %s targets to have different Istio cluster IDs; both are %q", a.Role, b.Role, a.IstioClusterID())
	case d == OtherNamespace && a.Cluster != b.Cluster:
		return fmt.Sprintf("keeps the %s and %s targets in one cluster; %s says %q, %s %q", a.Role, b.Role, a.Role, a.Cluster, b.Role, b.Cluster)
	case d == OtherNamespace && a.Namespace == b.Namespace:
		return fmt.Sprintf("needs the %s and %s targets in different namespaces; both are %q", a.Role, b.Role, a.Namespace)
	}
	return ""
}

func validRole(r Role) bool {
	switch r {
	case RoleStable, RoleCanary, RoleActive, RolePassive, RoleGateway, RoleRelease:
		return true
	}
	return false
}

func kindNames() string {
	ks := Kinds()
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Problems returns what is wrong with the topology section alone, by the
// rules of Rules: package topology checks a topology with it before placing
// it, so that a placement and config validation never disagree.
func (t *Topology) Problems() []Problem {
	var l problemList
	t.validate(&l)
	return l
}
