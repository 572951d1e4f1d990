package canary

import (
	"context"
	"maps"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// sides returns the stable and the canary side of the placement; ok is
// false when it has no canary side.
// Once a canary half's clusters have switched (active-passive-canary-
// namespace, by the records: see follow), the serving side is the stable
// one and the canary namespace is in its cluster.
func (e *Env) sides() (stable, canary topology.Side, ok bool) {
	stable, _ = e.Place.Part(config.PartStable)
	canary, ok = e.Place.Part(config.PartCanary)
	e.mu.Lock()
	serving := e.serving
	e.mu.Unlock()
	if s, c, switched := e.Place.Switched(serving); switched {
		return s, c, ok
	}
	return stable, canary, ok
}

// follow makes the canary half follow the side the records of services
// name as serving (see topology.Placement.Switched); records that
// disagree, a cluster switch cut short, are refused.
func (e *Env) follow(records map[string]Record, services []string) error {
	if _, _, ok := e.Place.Switched(config.RolePassive); !ok {
		return nil
	}
	serving := config.Role("")
	for _, s := range services {
		active := config.Role(records[s].Active)
		if active == "" || records[s].Stable == "" {
			continue
		}
		if serving != "" && active != serving {
			return outcome.Invalidf("the records say %s serves some services and %s others: a cluster switch was cut short; run rebuild-cluster again to finish it", serving, active)
		}
		serving = active
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.serving = serving
	return nil
}

// routing is how the route at each route place of the placement (in its
// order) reaches the sides: a strategy per place. With one mesh or one
// cluster every place reaches them alike; with separate meshes a side is
// local to the place in its cluster and remote from the others.
type routing []topology.Strategy

// newRouting is the routing whose strategy at each route place at is
// strategy(at).
func (e *Env) newRouting(strategy func(at topology.Location) (topology.Strategy, error)) (routing, error) {
	out := make(routing, len(e.Place.Routes))
	for i, at := range e.Place.Routes {
		st, err := strategy(at)
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}

// canaryRouting tells the canary side's versions from the stable side's.
func (e *Env) canaryRouting() (routing, error) {
	stable, canary, _ := e.sides()
	return e.newRouting(func(at topology.Location) (topology.Strategy, error) {
		return e.Place.CanaryStrategy(stable, canary, at)
	})
}

// switchRouting serves from side to, the other side being from (see
// topology.SwitchStrategy).
func (e *Env) switchRouting(to, from topology.Side) (routing, error) {
	return e.newRouting(func(at topology.Location) (topology.Strategy, error) {
		return topology.SwitchStrategy(e.Place.Switch, to, from, at)
	})
}

// states is the state fn makes of each place's strategy.
func (r routing) states(fn func(topology.Strategy) topology.State) []topology.State {
	out := make([]topology.State, len(r))
	for i, st := range r {
		out[i] = fn(st)
	}
	return out
}

func (r routing) canary(service, stable, canary string, weight int) []topology.State {
	return r.states(func(st topology.Strategy) topology.State {
		return topology.CanaryState(st, service, stable, canary, weight)
	})
}

func (r routing) stable(service, version string) []topology.State {
	return r.states(func(st topology.Strategy) topology.State { return topology.StableState(st, service, version) })
}

// promote is each state of topology.PromoteStates, at every place.
func (r routing) promote(service, to string) [][]topology.State {
	var out [][]topology.State
	for i, st := range r {
		for j, s := range topology.PromoteStates(st, service, to) {
			if i == 0 {
				out = append(out, make([]topology.State, len(r)))
			}
			out[j][i] = s
		}
	}
	return out
}

// routings are every routing the placement may route with.
func (e *Env) routings() []routing {
	var out []routing
	if e.Place.Canary != "" {
		if r, err := e.canaryRouting(); err == nil {
			out = append(out, r)
		}
	}
	if e.Place.Switch != "" {
		stable, _ := e.Place.Part(config.PartStable)
		if passive, ok := e.Place.Part(config.PartPassive); ok {
			for _, pair := range [][2]topology.Side{{stable, passive}, {passive, stable}} {
				if r, err := e.switchRouting(pair[0], pair[1]); err == nil {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// remote reports whether the placement reaches a side through another
// mesh's ingress gateway.
func (e *Env) remote() bool {
	return e.Place.Canary == config.RemoteHost || e.Place.Switch == config.RemoteHost
}

// routeOf addresses a service's route objects at a route place. The
// VirtualService routes the host clients call: at a side's own place, the
// host of its namespace; elsewhere (a gateway cluster) the stable side's;
// at a place with an ingress Gateway, for the Gateway and the mesh's
// sidecars.
func (e *Env) routeOf(service string, at topology.Location) traffic.Service {
	stable, _ := e.Place.Part(config.PartStable)
	ns := stable.Namespace
	if e.Place.Switch == config.RemoteHost {
		for _, s := range e.Place.Sides {
			if s.Same(at) && !s.Plays(config.PartGateway) {
				ns = at.Namespace
			}
		}
	}
	svc := traffic.Service{Namespace: at.Namespace, Name: service, Hosts: []string{topology.Host(service, ns)}}
	if gw := e.Place.GatewayAt(at); gw != "" {
		svc.Gateways = []string{gw, "mesh"}
	}
	return svc
}

// apply makes a service's route objects say, at each route place, what
// the state of that place (states, in the placement's order) says: the
// ServiceEntries of the hosts of other meshes the route names first, then
// new and changed subsets, then the weights, then the removal of the
// subsets that go, so that the route never names a host or subset that
// does not exist. A subset that goes but no route names now goes in the
// same write as the new subsets; one that selects what a subset that stays
// selects (promote's canary subset, once the stable one selects the same
// version) is left in place, harmless, for the next canary to take over:
// both save a write of the DestinationRule. Writes that would change
// nothing (by st, which apply keeps up to date) are not made; the places
// are written in parallel.
func (e *Env) apply(ctx context.Context, st *ServiceState, states []topology.State) error {
	if err := e.applyEntries(ctx, st, states); err != nil {
		return err
	}
	rules := mergeRules(states)
	if err := e.applyRules(ctx, st, rules, false); err != nil {
		return err
	}
	if states[0].Groups != nil {
		err := e.fanOut(ctx, len(e.Place.Routes), func(ctx context.Context, i int) error {
			at := e.Place.Routes[i]
			weights, err := traffic.Desired(states[i].Groups...)
			if err != nil {
				return err
			}
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
	return e.applyRules(ctx, st, rules, true)
}

// mergeRules is the rules of every place's state, each DestinationRule
// once, with the subsets any place needs of it.
func mergeRules(states []topology.State) []topology.Rule {
	var out []topology.Rule
	for _, s := range states {
		for _, r := range s.Rules {
			i := slices.IndexFunc(out, func(o topology.Rule) bool { return o.Key() == r.Key() && o.Host == r.Host })
			if i < 0 {
				out = append(out, topology.Rule{Cluster: r.Cluster, Namespace: r.Namespace, Host: r.Host, Subsets: slices.Clone(r.Subsets)})
				continue
			}
			for _, sub := range r.Subsets {
				if !slices.ContainsFunc(out[i].Subsets, func(o traffic.Subset) bool { return o.Name == sub.Name }) {
					out[i].Subsets = append(out[i].Subsets, sub)
				}
			}
		}
	}
	return out
}

// applyRules writes the subsets of rules that are new or changed, with
// the removal of the subsets that go that no route names now; or, with
// removals (once the weights are written), drops the rest of aviary's
// subsets the rules no longer hold. A subset that goes but selects the
// labels of one of the rule's subsets is kept (see apply).
func (e *Env) applyRules(ctx context.Context, st *ServiceState, rules []topology.Rule, removals bool) error {
	type write struct {
		rule   topology.Rule
		set    []traffic.Subset
		remove []string
	}
	var writes []write
	for _, rule := range rules {
		have := st.Subsets[rule.Key()]
		w := write{rule: rule}
		if !removals {
			for _, s := range rule.Subsets {
				if labels, ok := have[s.Name]; !ok || !maps.Equal(labels, s.Labels) {
					w.set = append(w.set, s)
				}
			}
		}
		for name, labels := range have {
			if goes(rule, name, labels) && (removals || !named(st, name)) {
				w.remove = append(w.remove, name)
			}
		}
		slices.Sort(w.remove)
		if len(w.set)+len(w.remove) > 0 {
			writes = append(writes, w)
		}
	}
	var mu sync.Mutex
	return e.fanOut(ctx, len(writes), func(ctx context.Context, i int) error {
		w := writes[i]
		m, err := e.mesh(ctx, w.rule.Cluster)
		if err != nil {
			return err
		}
		svc := traffic.Service{Namespace: w.rule.Namespace, Name: st.Service}
		if err := m.SetSubsets(ctx, svc, w.rule.Host, w.set, w.remove); err != nil {
			return e.in(w.rule.Cluster, err)
		}
		mu.Lock()
		defer mu.Unlock()
		key := w.rule.Key()
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

// goes reports whether the subset name selecting labels is to be dropped
// from rule's DestinationRule: the rule does not hold it, and it does not
// select what one the rule holds selects.
func goes(rule topology.Rule, name string, labels map[string]string) bool {
	return !slices.ContainsFunc(rule.Subsets, func(s traffic.Subset) bool {
		return s.Name == name || maps.Equal(s.Labels, labels)
	})
}

// named reports whether a route of the service, as last read or written,
// names a subset called name at any place (whatever the host or weight).
func named(st *ServiceState, name string) bool {
	for _, r := range st.Routes {
		if slices.ContainsFunc(r.Weights, func(w traffic.Weighted) bool { return w.Destination.Subset == name }) {
			return true
		}
	}
	return false
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
func (e *Env) canaryWeight(st *ServiceState, r routing) int {
	canary := r[0].Canary(st.Service, "").Destinations
	return traffic.WeightOf(st.Routes[0].Weights, func(d traffic.Destination) bool { return slices.Contains(canary, d) })
}
