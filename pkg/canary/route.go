package canary

import (
	"context"
	"maps"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// sides returns the stable and the canary side of the placement; ok is
// false when it has no canary side.
func (e *Env) sides() (stable, canary topology.Side, ok bool) {
	stable, _ = e.Place.Part(config.PartStable)
	canary, ok = e.Place.Part(config.PartCanary)
	return stable, canary, ok
}

// canaryStrategy tells the canary side's versions from the stable side's.
func (e *Env) canaryStrategy() (topology.Strategy, error) {
	stable, canary, _ := e.sides()
	return topology.NewStrategy(e.Place.Canary, stable, canary)
}

// switchStrategy serves from side to, the other side being from.
func (e *Env) switchStrategy(to, from topology.Side) (topology.Strategy, error) {
	return topology.NewStrategy(e.Place.Switch, to, from)
}

// strategies are every strategy the placement may route with.
func (e *Env) strategies() []topology.Strategy {
	var out []topology.Strategy
	if e.Place.Canary != "" {
		if st, err := e.canaryStrategy(); err == nil {
			out = append(out, st)
		}
	}
	if e.Place.Switch != "" {
		stable, _ := e.Place.Part(config.PartStable)
		if passive, ok := e.Place.Part(config.PartPassive); ok {
			for _, pair := range [][2]topology.Side{{stable, passive}, {passive, stable}} {
				if st, err := e.switchStrategy(pair[0], pair[1]); err == nil {
					out = append(out, st)
				}
			}
		}
	}
	return out
}

// routeOf addresses a service's route objects at a route place. The
// VirtualService routes the host of the stable side's namespace: the host
// clients call; at a place with an ingress Gateway, for the Gateway and
// the mesh's sidecars.
func (e *Env) routeOf(service string, at topology.Location) traffic.Service {
	stable, _ := e.Place.Part(config.PartStable)
	svc := traffic.Service{Namespace: at.Namespace, Name: service, Hosts: []string{topology.Host(service, stable.Namespace)}}
	if gw := e.Place.GatewayAt(at); gw != "" {
		svc.Gateways = []string{gw, "mesh"}
	}
	return svc
}

// apply makes a service's route objects, at every route place, say what
// state says: new and changed subsets first, then the weights, then the
// removal of the subsets that go, so that the route never names a subset
// that does not exist. Writes that would change nothing (by st, which
// apply keeps up to date) are not made; the places are written in
// parallel.
func (e *Env) apply(ctx context.Context, st *ServiceState, s topology.State) error {
	if err := e.applyRules(ctx, st, s.Rules, false); err != nil {
		return err
	}
	if s.Groups != nil {
		weights, err := traffic.Desired(s.Groups...)
		if err != nil {
			return err
		}
		err = e.fanOut(ctx, len(e.Place.Routes), func(ctx context.Context, i int) error {
			at := e.Place.Routes[i]
			if st.Routes[i].Found && slices.Equal(st.Routes[i].Weights, weights) {
				return nil
			}
			m, err := e.mesh(ctx, at.Context)
			if err != nil {
				return err
			}
			if err := m.SetWeights(ctx, e.routeOf(st.Service, at), weights); err != nil {
				return e.in(at.Context, err)
			}
			st.Routes[i] = traffic.Route{Found: true, Weights: weights}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return e.applyRules(ctx, st, s.Rules, true)
}

// applyRules writes the subsets of rules that are new or changed, or, with
// removals, drops aviary's subsets the rules no longer hold.
func (e *Env) applyRules(ctx context.Context, st *ServiceState, rules []topology.Rule, removals bool) error {
	type write struct {
		at     topology.Location
		rule   topology.Rule
		set    []traffic.Subset
		remove []string
	}
	var writes []write
	for _, r := range e.Place.Routes {
		for _, rule := range rules {
			have := st.Subsets[ruleKey(r.Context, rule.Namespace)]
			w := write{at: topology.Location{Context: r.Context, ClusterID: r.ClusterID, Namespace: rule.Namespace}, rule: rule}
			if removals {
				for name := range have {
					if !slices.ContainsFunc(rule.Subsets, func(s traffic.Subset) bool { return s.Name == name }) {
						w.remove = append(w.remove, name)
					}
				}
				slices.Sort(w.remove)
			} else {
				for _, s := range rule.Subsets {
					if labels, ok := have[s.Name]; !ok || !maps.Equal(labels, s.Labels) {
						w.set = append(w.set, s)
					}
				}
			}
			if len(w.set)+len(w.remove) > 0 {
				writes = append(writes, w)
			}
		}
	}
	var mu sync.Mutex
	return e.fanOut(ctx, len(writes), func(ctx context.Context, i int) error {
		w := writes[i]
		m, err := e.mesh(ctx, w.at.Context)
		if err != nil {
			return err
		}
		svc := traffic.Service{Namespace: w.at.Namespace, Name: st.Service}
		if err := m.SetSubsets(ctx, svc, w.rule.Host, w.set, w.remove); err != nil {
			return e.in(w.at.Context, err)
		}
		mu.Lock()
		defer mu.Unlock()
		key := ruleKey(w.at.Context, w.at.Namespace)
		if st.Subsets[key] == nil {
			st.Subsets[key] = map[string]map[string]string{}
		}
		for _, s := range w.set {
			st.Subsets[key][s.Name] = maps.Clone(s.Labels)
		}
		for _, name := range w.remove {
			delete(st.Subsets[key], name)
		}
		return nil
	})
}

// fanOut runs fn for 0..n-1 in parallel, for the writes of one service to
// the places that hold its route objects.
func (e *Env) fanOut(ctx context.Context, n int, fn func(context.Context, int) error) error {
	if n == 1 {
		return fn(ctx, 0)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.parallel())
	for i := range n {
		g.Go(func() error { return fn(ctx, i) })
	}
	return g.Wait()
}

// canaryWeight is the weight the route at the home place gives the canary
// side.
func (e *Env) canaryWeight(st *ServiceState, strategy topology.Strategy) int {
	canary := strategy.Canary(st.Service, "").Destinations
	return traffic.WeightOf(st.Routes[0].Weights, func(d traffic.Destination) bool { return slices.Contains(canary, d) })
}
