package canary

import (
	"context"

	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// Version is one version of a service and the side it runs on.
type Version struct {
	Version string
	Side    topology.Side
}

// Tested is a service of a release whose canary is under test, and where
// its stable version runs.
type Tested struct {
	Service        string
	Stable, Canary Version
}

// Testing returns the services of the plan's release that are in canary,
// read from their records, in plan order; after a cluster switch of
// active-passive-canary-namespace, on the sides that follow it.
func Testing(ctx context.Context, e *Env, l *plan.Loaded) ([]Tested, error) {
	if e.Place.SteppedSwitch() {
		return e.testingSwitch(ctx, l)
	}
	if _, _, ok := e.sides(); !ok {
		return nil, nil
	}
	records, names, err := e.planRecords(ctx, l)
	if err != nil {
		return nil, err
	}
	if err := e.follow(records, names); err != nil {
		return nil, err
	}
	stable, canary, _ := e.sides()
	var out []Tested
	for _, s := range l.Plan.Services {
		r := records[s.Name]
		if r.Canary != l.Plan.Version || r.Stable == l.Plan.Version {
			continue
		}
		out = append(out, Tested{Service: s.Name, Stable: Version{r.Stable, stable}, Canary: Version{r.Canary, canary}})
	}
	return out, nil
}
