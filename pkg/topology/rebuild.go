package topology

import (
	"fmt"
	"strings"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// BlueGreen returns the two sides a blue/green of p switches between: its
// stable side and its passive side; ok is false when p has no passive
// side.
func (p Placement) BlueGreen() (stable, passive Side, ok bool) {
	stable, _ = p.Part(config.PartStable)
	passive, ok = p.Part(config.PartPassive)
	return stable, passive, ok
}

// RebuildSide picks the side of p's blue/green that name designates, by
// its target role, its cluster (kubeconfig context) or its namespace, and
// returns it with the other side. A name that designates both sides (the
// namespace of a blue/green between clusters) or neither is an Invalid
// error listing the names that would do.
func RebuildSide(p Placement, name string) (target, other Side, err error) {
	if p.RebuildsInPlace() {
		return inPlaceSide(p, name)
	}
	stable, passive, ok := p.BlueGreen()
	if !ok {
		return Side{}, Side{}, outcome.Invalidf("topology %s has no passive side to rebuild", p.Kind)
	}
	a, b := stable.designatedBy(name), passive.designatedBy(name)
	switch {
	case a && b:
		return Side{}, Side{}, outcome.Invalidf("%q names both sides of the %s topology; give %s", name, p.Kind, choices(stable, passive))
	case a:
		return stable, passive, nil
	case b:
		return passive, stable, nil
	}
	return Side{}, Side{}, outcome.Invalidf("%q is not a side of the %s topology: give %s", name, p.Kind, choices(stable, passive))
}

// RebuildsInPlace reports whether rebuild-cluster rebuilds p's stable side
// where it serves rather than a passive side to switch to: p has a canary
// side and no passive one (in gateway-routed-clusters both clusters
// serve, and closing a release rebuilds the release cluster from the
// plan), so the stable side is rebuilt from the plan, its versions moved
// under the route one service at a time once all are ready.
func (p Placement) RebuildsInPlace() bool {
	_, canary := p.Part(config.PartCanary)
	_, passive := p.Part(config.PartPassive)
	return canary && !passive
}

// inPlaceSide is RebuildSide for a placement that rebuilds in place: name
// must designate its stable side (the release cluster or namespace); other
// is the canary side. Where both sides share one namespace of one cluster
// (single-cluster, its canaries a version subset) a name of that
// namespace designates the stable side.
func inPlaceSide(p Placement, name string) (target, other Side, err error) {
	stable, _ := p.Part(config.PartStable)
	canary, _ := p.Part(config.PartCanary)
	a, b := stable.designatedBy(name), canary.designatedBy(name)
	shared := stable.Context == canary.Context && stable.Namespace == canary.Namespace
	switch {
	case a && (!b || shared):
		return stable, canary, nil
	case a && b:
		return Side{}, Side{}, outcome.Invalidf("%q names both the stable and the canary side of the %s topology; give %s", name, p.Kind, inPlaceChoices(stable))
	case b:
		return Side{}, Side{}, outcome.Invalidf("%q is the canary side of the %s topology, which each release's canaries replace: rebuild the stable side, %s", name, p.Kind, inPlaceChoices(stable))
	}
	return Side{}, Side{}, outcome.Invalidf("%q is not the stable side of the %s topology: give %s", name, p.Kind, inPlaceChoices(stable))
}

func inPlaceChoices(s Side) string {
	out := fmt.Sprintf("%q", s.Role)
	if s.Context != "" && s.Context != string(s.Role) {
		out += fmt.Sprintf(" or %q", s.Context)
	}
	return out
}

func (s Side) designatedBy(name string) bool {
	return name != "" && (name == string(s.Role) || name == s.Context || name == s.Namespace)
}

// Name is how a blue/green side is told from other in messages and
// outputs: its namespace when the two differ by namespace, else its
// cluster (kubeconfig context).
func (s Side) Name(other Side) string {
	if s.Namespace != other.Namespace || s.Context == "" {
		return s.Namespace
	}
	return s.Context
}

func choices(a, b Side) string {
	var out []string
	for _, s := range []Side{a, b} {
		names := []string{fmt.Sprintf("%q", s.Role)}
		if s.Context != "" && s.Context != string(s.Role) {
			names = append(names, fmt.Sprintf("%q", s.Context))
		}
		if s.Namespace != a.Namespace || s.Namespace != b.Namespace {
			names = append(names, fmt.Sprintf("%q", s.Namespace))
		}
		out = append(out, strings.Join(names, " or "))
	}
	return out[0] + " for one side, " + out[1] + " for the other"
}
