package config

import (
	"fmt"
	"strings"
)

// topologyRule says which target roles a topology kind needs and allows, and
// which roles must sit in different clusters or namespaces.
type topologyRule struct {
	required []Role
	optional []Role
	// apartClusters: these roles must name different clusters.
	apartClusters []Role
	// apartPlaces: these roles must differ in cluster or namespace.
	apartPlaces []Role
}

// topologyRules is the single table of what each kind needs. The topology
// package decides what goes where; this only checks the config can say it.
var topologyRules = map[TopologyKind]topologyRule{
	SingleCluster: {
		required: []Role{RoleRelease},
	},
	CanaryNamespace: {
		required:    []Role{RoleStable, RoleCanary},
		apartPlaces: []Role{RoleStable, RoleCanary},
	},
	BlueGreenClusters: {
		required:      []Role{RoleActive, RolePassive},
		optional:      []Role{RoleGateway},
		apartClusters: []Role{RoleActive, RolePassive},
	},
	DeltaCanaryCluster: {
		required:      []Role{RoleStable, RoleCanary},
		apartClusters: []Role{RoleStable, RoleCanary},
	},
	RebuiltCanaryCluster: {
		required:      []Role{RoleStable, RoleCanary},
		apartClusters: []Role{RoleStable, RoleCanary},
	},
	ActivePassiveCanaryNamespace: {
		required:    []Role{RoleActive, RolePassive},
		apartPlaces: []Role{RoleActive, RolePassive},
	},
	GatewayRoutedClusters: {
		required:      []Role{RoleGateway, RoleStable, RoleCanary},
		apartClusters: []Role{RoleStable, RoleCanary},
	},
}

// Kinds returns every topology kind, in documentation order.
func Kinds() []TopologyKind {
	return []TopologyKind{SingleCluster, CanaryNamespace, BlueGreenClusters, DeltaCanaryCluster,
		RebuiltCanaryCluster, ActivePassiveCanaryNamespace, GatewayRoutedClusters}
}

// Roles returns the roles a kind requires and the ones it also allows.
func (k TopologyKind) Roles() (required, optional []Role) {
	r := topologyRules[k]
	return r.required, r.optional
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

func roleNames(roles []Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func (t *Topology) validate(l *problemList) {
	rule, known := topologyRules[t.Kind]
	switch {
	case t.Kind == "":
		l.add("topology.kind", "is required: one of %s", kindNames())
	case !known:
		l.add("topology.kind", "%q is not a topology kind: one of %s", t.Kind, kindNames())
	}
	allowed := map[Role]bool{}
	for _, r := range append(rule.required, rule.optional...) {
		allowed[r] = true
	}
	seen := map[Role]int{}
	for i, tg := range t.Targets {
		p := fmt.Sprintf("topology.targets[%d]", i)
		switch {
		case tg.Role == "":
			l.add(p+".role", "is required")
		case !validRole(tg.Role):
			l.add(p+".role", "%q is not a role: one of stable, canary, active, passive, gateway, release", tg.Role)
		case known && !allowed[tg.Role]:
			l.add(p+".role", "%s takes no %s target; it takes %s", t.Kind, tg.Role, roleNames(append(rule.required, rule.optional...)))
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
	}
	if !known {
		return
	}
	var missing []Role
	for _, r := range rule.required {
		if _, ok := seen[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		l.add("topology.targets", "%s needs targets with roles %s; missing %s", t.Kind, roleNames(rule.required), roleNames(missing))
		return
	}
	if a, b, same := sameCluster(t, rule.apartClusters); same {
		l.add("topology.targets", "%s needs the %s and %s targets in different clusters; both say %q", t.Kind, a.Role, b.Role, a.Cluster)
	}
	if a, b, same := samePlace(t, rule.apartPlaces); same {
		l.add("topology.targets", "%s needs the %s and %s targets in different namespaces or clusters; both are %q/%q", t.Kind, a.Role, b.Role, a.Cluster, a.Namespace)
	}
}

func sameCluster(t *Topology, roles []Role) (a, b *Target, same bool) {
	for i, ri := range roles {
		for _, rj := range roles[i+1:] {
			a, b = t.Target(ri), t.Target(rj)
			if a.Cluster == b.Cluster {
				return a, b, true
			}
		}
	}
	return nil, nil, false
}

func samePlace(t *Topology, roles []Role) (a, b *Target, same bool) {
	for i, ri := range roles {
		for _, rj := range roles[i+1:] {
			a, b = t.Target(ri), t.Target(rj)
			if a.Cluster == b.Cluster && a.Namespace == b.Namespace {
				return a, b, true
			}
		}
	}
	return nil, nil, false
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
