package canary

import (
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/topology"
)

func TestSwitchOf(t *testing.T) {
	p, err := topology.Place(config.Topology{Kind: config.BlueGreenClusters, Targets: []config.Target{
		{Role: config.RoleActive, Cluster: "east", Namespace: "shop"},
		{Role: config.RolePassive, Cluster: "west", Namespace: "shop"},
	}}, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const ref = "reg/shop/plans@sha256:2"
	services := []string{"cart", "web"}
	inSwitch := Record{Phase: PhaseCanary, Stable: "1.0.0", Canary: "2.0.0", Active: "active", Switching: "passive", Plan: ref}
	done := Record{Phase: PhaseStable, Stable: "2.0.0", Previous: "1.0.0", Active: "passive", Plan: ref}
	back := Record{Phase: PhaseRolledBack, Stable: "1.0.0", Active: "active", Plan: ref}
	firstDone := Record{Phase: PhaseStable, Stable: "2.0.0", Active: "passive", Plan: ref}
	unchangedBack := Record{Phase: PhaseRolledBack, Stable: "2.0.0", Previous: "1.0.0", Active: "active", Plan: ref}
	before := Record{Phase: PhaseStable, Stable: "1.0.0", Active: "active", Plan: "reg/shop/plans@sha256:1"}
	tests := []struct {
		name    string
		records map[string]Record
		stage   switchStage
		target  config.Role
		err     string
	}{
		{"nothing released", nil, noSwitch, "", ""},
		{"before the switch", map[string]Record{"cart": before, "web": before}, noSwitch, "", ""},
		{"in progress", map[string]Record{"cart": inSwitch, "web": inSwitch}, switching, config.RolePassive, ""},
		{"promote cut short", map[string]Record{"cart": done, "web": inSwitch}, switching, config.RolePassive, ""},
		{"complete", map[string]Record{"cart": done, "web": done}, switched, config.RolePassive, ""},
		{"rolled back", map[string]Record{"cart": back, "web": back}, undone, "", ""},
		{"rollback cut short", map[string]Record{"cart": back, "web": inSwitch}, switching, config.RolePassive, ""},
		{"switch back cut short", map[string]Record{"cart": back, "web": done}, switchingBack, config.RolePassive, ""},
		{"switched back but a first release", map[string]Record{"cart": back, "web": firstDone}, undone, "", ""},
		{"switched back, an unchanged service too", map[string]Record{"cart": back, "web": unchangedBack}, undone, "", ""},
		{"switch back cut short, an unchanged service back", map[string]Record{"cart": done, "web": unchangedBack}, switchingBack, config.RolePassive, ""},
		{"another release switching", map[string]Record{"cart": {Canary: "3.0.0", Stable: "2.0.0", Switching: "active"}}, 0, "", `a stepped switch to active with 3.0.0 is in progress (service cart)`},
		{"both ways", map[string]Record{"cart": inSwitch, "web": {Canary: "2.0.0", Switching: "active"}}, 0, "", "switched to both passive and active"},
		{"unknown side", map[string]Record{"cart": {Canary: "2.0.0", Switching: "gateway"}}, 0, "", `records name "gateway"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw, err := switchOf(p, tt.records, services, "2.0.0", ref)
			if tt.err != "" {
				if outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("switchOf = %v, want an Invalid error saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sw.stage != tt.stage || sw.target.Role != tt.target {
				t.Errorf("switchOf = stage %d to %q, want stage %d to %q", sw.stage, sw.target.Role, tt.stage, tt.target)
			}
			if tt.target != "" && sw.serving.Role == sw.target.Role {
				t.Errorf("switchOf serves from %q and switches to it", sw.serving.Role)
			}
		})
	}
}

func TestSwitchSchedule(t *testing.T) {
	rows := []Row{{Weight: 25}, {Weight: 10}, {Weight: 0}}
	got, resumed, err := switchSchedule(rows, []int{0, 1}, ShiftOptions{Steps: []int{5, 10, 25, 50}})
	if err != nil || !resumed || len(got) != 3 || got[0] != 10 || got[2] != 50 {
		t.Errorf("switchSchedule from 10%% = %v, resumed %v, %v; want [10 25 50] (the lowest weight in effect first), resumed", got, resumed, err)
	}
	if _, _, err := switchSchedule(rows, []int{0}, ShiftOptions{Weight: 101}); outcome.KindOf(err) != outcome.KindInvalid {
		t.Errorf("switchSchedule to 101%% = %v, want Invalid", err)
	}
}

// TestSwitchConflict: a rebuild is refused while a stepped switch of
// another version, or to the other side, is in progress; a stepped switch
// across separate meshes is begun like one on one mesh on a blue/green of
// clusters, and refused on active-passive-canary-namespace, whose canary
// steps move its canary half and could not move the switch.
func TestSwitchConflict(t *testing.T) {
	place := func(topo config.Topology) topology.Placement {
		t.Helper()
		p, err := topology.Place(topo, topology.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	bg := func(mesh config.MeshMode) topology.Placement {
		return place(config.Topology{Kind: config.BlueGreenClusters, Mesh: mesh, Targets: []config.Target{
			{Role: config.RoleActive, Cluster: "east", Namespace: "shop", Ingress: ingressIf(mesh, "192.0.2.1:80")},
			{Role: config.RolePassive, Cluster: "west", Namespace: "shop", Ingress: ingressIf(mesh, "192.0.2.2:80")},
		}})
	}
	apcn := func(mesh config.MeshMode) topology.Placement {
		return place(config.Topology{Kind: config.ActivePassiveCanaryNamespace, Mesh: mesh, Targets: []config.Target{
			{Role: config.RoleActive, Cluster: "east", Namespace: "shop", Ingress: ingressIf(mesh, "192.0.2.1:80")},
			{Role: config.RoleCanary, Cluster: "east", Namespace: "shop-canary"},
			{Role: config.RolePassive, Cluster: "west", Namespace: "shop", Ingress: ingressIf(mesh, "192.0.2.2:80")},
		}})
	}
	releases := []Release{{Service: "cart", Version: "2.0.0"}}
	none := map[string]*ServiceState{"cart": {Service: "cart", Record: Record{Stable: "1.0.0", Active: "active"}}}
	switching := map[string]*ServiceState{"cart": {Service: "cart", Record: Record{Stable: "1.0.0", Canary: "2.0.0", Active: "active", Switching: "passive"}}}
	other := map[string]*ServiceState{"cart": {Service: "cart", Record: Record{Stable: "1.0.0", Canary: "3.0.0", Active: "active", Switching: "passive"}}}
	tests := []struct {
		name    string
		p       topology.Placement
		states  map[string]*ServiceState
		stepped bool
		want    string // empty: no conflict
	}{
		{"one mesh, stepped", bg(config.MeshOne), none, true, ""},
		{"separate meshes, stepped", bg(config.MeshSeparate), none, true, ""},
		{"separate meshes, stepped again", bg(config.MeshSeparate), switching, true, ""},
		{"separate meshes, at once", bg(config.MeshSeparate), none, false, ""},
		{"separate meshes, another version switching", bg(config.MeshSeparate), other, true, "a stepped switch to passive with 3.0.0 is in progress"},
		{"active-passive-canary-namespace, separate meshes, stepped", apcn(config.MeshSeparate), none, true, "switches its clusters at once only"},
		{"active-passive-canary-namespace, separate meshes, at once", apcn(config.MeshSeparate), none, false, ""},
		{"active-passive-canary-namespace, one mesh, stepped", apcn(config.MeshOne), none, true, "switches its clusters at once only"},
		{"active-passive-canary-namespace, one mesh, at once", apcn(config.MeshOne), none, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, _ := tt.p.Part(config.PartPassive)
			other, _ := tt.p.Part(config.PartStable)
			err := switchConflict(tt.p, tt.states, releases, target, other, tt.stepped)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("switchConflict() = %v, want nil", err)
			case tt.want != "" && (outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("switchConflict() = %v, want an Invalid error saying %q", err, tt.want)
			}
		})
	}
}

// ingressIf is addr across separate meshes, else empty.
func ingressIf(mesh config.MeshMode, addr string) string {
	if mesh == config.MeshSeparate {
		return addr
	}
	return ""
}
