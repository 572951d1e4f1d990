package examples_test

import (
	"testing"

	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/config"
)

// blueGreenRoles runs a blue-green-clusters release with only the Roles of
// its layout: rebuild-cluster switching at once to the passive cluster
// and back, then a stepped switch (rebuild-cluster --switch=stepped)
// shifted and rolled back, begun again by deploy-canary, shifted and
// promoted.
func blueGreenRoles(t *testing.T, bin string, layout canarytest.Layout) {
	active := layout.Topology.Target(config.RoleActive).Cluster
	passive := layout.Topology.Target(config.RolePassive).Cluster
	run, v1, v2, v3 := rolesWalk(t, bin, layout)

	run("rebuild-cluster", v1, map[string]string{"active": passive, "passive": active}, "--side=passive")
	run("rebuild-cluster", v2, map[string]string{"active": active, "passive": passive}, "--side=active")
	run("rebuild-cluster", v3, map[string]string{"active": active, "switching": passive}, "--side=passive", "--switch=stepped", "--initial-weight=10")
	run("shift-weight", v3, map[string]string{"weight": "50"}, "--weight=50")
	run("rollback", v3, map[string]string{"rolled-back": "cart,api"})
	run("deploy-canary", v3, map[string]string{"weight": "20"}, "--initial-weight=20", "--timeout=1m")
	run("shift-weight", v3, map[string]string{"weight": "60"}, "--weight=60")
	run("promote", v3, map[string]string{"promoted": "cart,api"})
}
