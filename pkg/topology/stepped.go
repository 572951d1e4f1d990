package topology

import (
	"slices"

	"github.com/aviary-cd/aviary/pkg/config"
)

// switchSteps are the canary steps that, on a blue/green topology, move a
// switch step by step once rebuild-cluster has begun it (its switch input
// "stepped"): shift-weight moves traffic toward the rebuilt side, promote
// completes the switch, rollback returns all traffic to the side that
// served.
var switchSteps = []string{"deploy-canary", "shift-weight", "promote", "rollback"}

// SteppedSwitch reports whether the canary steps act on p's blue/green
// switch rather than on a canary side: p has a passive side and no canary
// side (blue-green-namespaces, blue-green-clusters). The side being
// switched to plays the canary's part, the side serving the stable one.
func (p Placement) SteppedSwitch() bool {
	_, canary := p.Part(config.PartCanary)
	_, passive := p.Part(config.PartPassive)
	return passive && !canary
}

// movesSwitch reports whether step moves a stepped blue/green switch of p.
func movesSwitch(p Placement, step string) bool {
	return p.SteppedSwitch() && slices.Contains(switchSteps, step)
}

// Other returns the side of p's blue/green that is not role; ok is false
// when role is not one of its two sides.
func (p Placement) Other(role config.Role) (Side, bool) {
	stable, passive, ok := p.BlueGreen()
	switch {
	case !ok:
		return Side{}, false
	case stable.Role == role:
		return passive, true
	case passive.Role == role:
		return stable, true
	}
	return Side{}, false
}
