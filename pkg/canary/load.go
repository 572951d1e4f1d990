package canary

import (
	"context"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// release is a plan's services set against where the clusters have them,
// for the operations that move a canary.
type release struct {
	plan           *plan.Loaded
	stable, canary topology.Side
	routing        routing
	// services are rendered for the stable side, in plan order.
	services []Release
	states   map[string]*ServiceState
	rows     []Row
}

// load renders the plan for the stable side and reads where each service
// stands.
func (e *Env) load(ctx context.Context, l *plan.Loaded) (*release, error) {
	if _, _, ok := e.sides(); !ok {
		return nil, outcome.Invalidf("topology %s has no canary side", e.Place.Kind)
	}
	if err := e.followRecords(ctx, l); err != nil {
		return nil, err
	}
	stable, canary, _ := e.sides()
	routing, err := e.canaryRouting()
	if err != nil {
		return nil, err
	}
	services, states, err := e.renderAndRead(ctx, l, stable.Namespace, stable, canary)
	if err != nil {
		return nil, err
	}
	rel := &release{plan: l, stable: stable, canary: canary, routing: routing, services: services, states: states, rows: make([]Row, len(services))}
	for i, r := range services {
		st := states[r.Service]
		st.Port = servicePort(r)
		rel.rows[i] = e.row(rel, st, Classify(r, st, stable))
	}
	return rel, nil
}

// renderAndRead renders the plan's services for namespace (RenderAll)
// and reads where they stand on sides (snapshot). The plan names the
// services, so the lists are in flight while the manifests are decoded. A
// plan that does not render is reported before any error of the reads.
func (e *Env) renderAndRead(ctx context.Context, l *plan.Loaded, namespace string, sides ...topology.Side) ([]Release, map[string]*ServiceState, error) {
	names := make([]string, len(l.Plan.Services))
	for i, s := range l.Plan.Services {
		names[i] = s.Name
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var states map[string]*ServiceState
	var readErr error
	read := make(chan struct{})
	go func() {
		defer close(read)
		states, readErr = e.snapshot(ctx, names, sides...)
	}()
	services, err := RenderAll(l, namespace)
	if err != nil {
		cancel()
	}
	<-read
	if err != nil {
		return nil, nil, err
	}
	if readErr != nil {
		return nil, nil, readErr
	}
	return services, states, nil
}

// sameSide reports whether the canary runs beside stable, in one
// namespace (version subsets).
func (rel *release) sameSide() bool { return rel.stable.Same(rel.canary.Location) }

// forCanary renders service r for the canary side.
func (rel *release) forCanary(r Release) (Release, error) {
	if rel.sameSide() {
		return r, nil
	}
	return Render(rel.plan, r.Service, rel.canary.Namespace)
}

// row reports a service as the cluster has it.
func (e *Env) row(rel *release, st *ServiceState, status Status) Row {
	row := Row{Service: st.Service, Status: status, Stable: st.Stable(rel.stable), Canary: st.Record.Canary}
	if row.Canary != "" {
		row.Weight = e.canaryWeight(st, rel.routing)
	}
	return row
}

// record is the record of st with the given changes.
func (rel *release) record(st *ServiceState, phase, stable, canary, previous string) Record {
	r := st.Record
	r.Phase, r.Stable, r.Canary, r.Previous, r.Plan = phase, stable, canary, previous, rel.plan.Ref
	if canary == "" {
		// No version under test: no switch in progress either.
		r.Switching = ""
	}
	return r
}

// save writes a service's record and keeps st up to date.
func (e *Env) save(ctx context.Context, st *ServiceState, r Record) error {
	store, err := e.store(ctx)
	if err != nil {
		return err
	}
	if err := store.Save(ctx, st.Service, r); err != nil {
		return err
	}
	st.Record = r
	return nil
}

// label is a version as the label value subsets select.
func label(version string) string {
	if version == "" {
		return ""
	}
	return VersionValue(version)
}

func indexes[T any](s []T) []int {
	out := make([]int, len(s))
	for i := range s {
		out[i] = i
	}
	return out
}

// followRecords reads the records of the plan's services, when the
// placement's canary half can follow a cluster switch, and follows the
// side they name as serving.
func (e *Env) followRecords(ctx context.Context, l *plan.Loaded) error {
	if _, _, ok := e.Place.Switched(config.RolePassive); !ok {
		return nil
	}
	records, names, err := e.planRecords(ctx, l)
	if err != nil {
		return err
	}
	return e.follow(records, names)
}

// planRecords reads the release records and names the plan's services.
func (e *Env) planRecords(ctx context.Context, l *plan.Loaded) (map[string]Record, []string, error) {
	store, err := e.store(ctx)
	if err != nil {
		return nil, nil, err
	}
	records, err := store.Load(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(l.Plan.Services))
	for i, s := range l.Plan.Services {
		names[i] = s.Name
	}
	return records, names, nil
}
