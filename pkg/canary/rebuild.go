package canary

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// Record keys of a namespace blue/green, kept on each VirtualService.
const (
	RecordActive  = "aviary.dev/active"
	RecordPassive = "aviary.dev/passive"
	RecordVersion = "aviary.dev/release-version"
)

// RebuildOptions tunes Rebuild.
type RebuildOptions struct {
	// Passive is the namespace to rebuild; it must be one of the
	// topology's two sides and not the active one.
	Passive string
	// Switch sends all traffic to the rebuilt namespace once it is ready.
	Switch bool
}

// Rebuilt says which namespace serves after Rebuild.
type Rebuilt struct {
	Active, Passive string
	Result
}

// Rebuild is the namespace blue/green: it applies every service of the plan
// into the passive namespace, waits until all are ready, removes what the
// plan no longer runs there, and with Switch routes all of each service's
// requests to the rebuilt namespace, recording the roles on the
// VirtualServices. e.Place must be an active/passive placement; e.Place's
// Stable and Canary are its two sides.
func Rebuild(ctx context.Context, e *Env, l *plan.Loaded, opts RebuildOptions) (Rebuilt, error) {
	a, b := e.Place.Stable.Namespace, e.Place.Canary.Namespace
	if opts.Passive != a && opts.Passive != b {
		return Rebuilt{}, outcome.Invalidf("namespace %q is not a side of the %s topology: give %q or %q", opts.Passive, e.Place.Kind, a, b)
	}
	other := a
	if opts.Passive == a {
		other = b
	}
	releases, err := RenderAll(l, opts.Passive)
	if err != nil {
		return Rebuilt{}, err
	}
	names := make([]string, len(releases))
	for i, r := range releases {
		names[i] = r.Service
	}
	routes, _, err := e.Mesh.Snapshot(ctx, e.namespace())
	if err != nil {
		return Rebuilt{}, err
	}
	active := ""
	for _, n := range names {
		if v := routes[n].Record[RecordActive]; v != "" {
			active = v
			break
		}
	}
	if active == opts.Passive {
		return Rebuilt{}, outcome.Invalidf("namespace %q serves traffic now: rebuild the passive one, %q", opts.Passive, other)
	}
	var apply []*unstructured.Unstructured
	var images, wait []string
	for _, r := range releases {
		apply = append(append(apply, r.Shared...), r.Deployment)
		images = append(images, r.Image)
		wait = append(wait, r.Deployment.GetName())
	}
	if e.Images != nil {
		if err := e.Images.Check(ctx, images); err != nil {
			return Rebuilt{}, fmt.Errorf("checking images before rebuilding %q: %w", opts.Passive, err)
		}
	}
	e.progress("rebuilding namespace %q: applying %d objects for %d services", opts.Passive, len(apply), len(releases))
	if err := e.Kube.ApplyAll(ctx, apply, e.Parallel); err != nil {
		return Rebuilt{}, err
	}
	if err := e.wait(ctx, opts.Passive, wait); err != nil {
		return Rebuilt{}, fmt.Errorf("%w; traffic was not switched", err)
	}
	side := *e
	side.Place.Stable.Namespace, side.Place.Canary.Namespace = opts.Passive, opts.Passive
	states, err := side.snapshot(ctx, names)
	if err != nil {
		return Rebuilt{}, err
	}
	rows := make([]Row, len(releases))
	for i, r := range releases {
		rows[i] = Row{Service: r.Service, Status: "rebuilt", Canary: r.Version}
		if err := side.prune(ctx, states[r.Service], r.Version); err != nil {
			return Rebuilt{}, err
		}
	}
	out := Rebuilt{Active: active, Passive: opts.Passive, Result: Result{Rows: rows}}
	if active == "" {
		out.Active = other
	}
	if !opts.Switch {
		return out, nil
	}
	err = each(ctx, e, indexes(releases), func(ctx context.Context, i int) error {
		r := releases[i]
		dest := traffic.Destination{Cluster: e.Place.Canary.Cluster, Namespace: opts.Passive, Host: topology.Host(r.Service, opts.Passive)}
		rows[i].Stable, rows[i].Canary, rows[i].Status = r.Version, "", "switched"
		return e.Mesh.SetWeights(ctx, e.routeOf(r.Service), []traffic.Weighted{{Destination: dest, Weight: 100}}, map[string]string{
			RecordActive: opts.Passive, RecordPassive: other, RecordVersion: r.Version, RecordPlan: l.Ref,
		})
	})
	if err != nil {
		return out, err
	}
	return Rebuilt{Active: opts.Passive, Passive: other, Result: Result{Rows: rows}}, nil
}
