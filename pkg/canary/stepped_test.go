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
