package scripttest

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/rogpeppe/go-internal/testscript"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/plan"
)

// planEdits are the plans planlayout writes: a valid one, and plans written
// by hand the way an attacker would, each breaking one rule of Plan.Check.
var planEdits = map[string]func(p *plan.Plan, files map[string][]byte){
	"good":         func(*plan.Plan, map[string][]byte) {},
	"name-newline": func(p *plan.Plan, _ map[string][]byte) { p.Services[0].Name = "api\n::set-output name=evil::1" },
	"name-command": func(p *plan.Plan, _ map[string][]byte) { p.Services[0].Name = "::error::fake" },
	"name-pipe":    func(p *plan.Plan, _ map[string][]byte) { p.Services[0].Name = "api|evil" },
	"name-html":    func(p *plan.Plan, _ map[string][]byte) { p.Services[0].Name = "<script>alert(1)</script>" },
	"name-link":    func(p *plan.Plan, _ map[string][]byte) { p.Services[0].Name = "[click](https://evil.example)" },
	"name-ansi":    func(p *plan.Plan, _ map[string][]byte) { p.Services[0].Name = "api\x1b[2K\x1b[1Averified" },
	"name-upper":   func(p *plan.Plan, _ map[string][]byte) { p.Services[0].Name = "API" },
	"version":      func(p *plan.Plan, _ map[string][]byte) { p.Version = "1.0.0\n::error::x" },
	"commit":       func(p *plan.Plan, _ map[string][]byte) { p.Source.Commit = "HEAD" },
	"source-url":   func(p *plan.Plan, _ map[string][]byte) { p.Source.Repository = "https://git.example/\x1b[31mshop" },
	"image-tag":    func(p *plan.Plan, _ map[string][]byte) { p.Services[0].Image = "127.0.0.1:1/shop/api:1.0.0" },
	"config":       func(p *plan.Plan, _ map[string][]byte) { p.Config.Canary.Steps = []int{50, 10} },
	"kind":         func(p *plan.Plan, _ map[string][]byte) { p.Kind = "Deployment" },
	"missing-manifest": func(p *plan.Plan, _ map[string][]byte) {
		p.Services[0].Manifests = append(p.Services[0].Manifests, "api/gone.yaml")
	},
	"canary-namespace": func(p *plan.Plan, _ map[string][]byte) {
		p.Config.Topology = twoNamespaces(config.CanaryNamespace, "stable", "canary")
	},
	"blue-green": func(p *plan.Plan, _ map[string][]byte) {
		// The namespace blue/green: the active-passive kind rebuild-cluster
		// serves in one cluster.
		p.Config.Topology = twoNamespaces(config.BlueGreenNamespaces, "active", "passive")
	},
}

func twoNamespaces(kind config.TopologyKind, a, b config.Role) config.Topology {
	return config.Topology{Kind: kind, Targets: []config.Target{{Role: a, Namespace: "shop-a"}, {Role: b, Namespace: "shop-b"}}}
}

// PlanLayout is the planlayout command:
//
//	planlayout DIR KIND
//
// writes a plan of one service (api, image on 127.0.0.1:1, where nothing
// listens) into the OCI layout DIR, encoded as is and unchecked, and sets
// $PLAN to its reference by digest. KIND is good, or names the rule the plan
// breaks: name-newline, name-command, name-pipe, name-html, name-link,
// name-ansi, name-upper, version, commit, source-url, image-tag, config,
// kind, missing-manifest; or its topology:
// canary-namespace, blue-green.
func PlanLayout(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: planlayout DIR KIND")
	}
	edit, ok := planEdits[args[1]]
	if !ok {
		kinds := make([]string, 0, len(planEdits))
		for k := range planEdits {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		ts.Fatalf("planlayout: unknown kind %q; one of %s", args[1], strings.Join(kinds, ", "))
	}
	p, files := basePlan()
	edit(p, files)
	ref, err := writeLayout(context.Background(), ts.MkAbs(args[0]), p, files)
	ts.Check(err)
	ts.Setenv("PLAN", ref)
}

func basePlan() (*plan.Plan, map[string][]byte) {
	cfg := config.Config{
		Product:  "shop",
		Services: []config.Service{{Name: "api", Image: "127.0.0.1:1/shop/api", Manifests: "deploy/api"}},
		Topology: config.Topology{Kind: config.SingleCluster, Targets: []config.Target{{Role: config.RoleRelease, Namespace: "shop"}}},
	}
	p := &plan.Plan{
		APIVersion: plan.APIVersion, Kind: plan.Kind, Version: "1.0.0",
		Source: plan.Source{Commit: strings.Repeat("3f", 20), Time: time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC)},
		Config: cfg.Close(),
		Services: []plan.Service{{
			Name: "api", Image: "127.0.0.1:1/shop/api@" + digest.FromString("api").String(), Tag: "1.0.0",
			Manifests: []string{"api/deployment.yaml"},
		}},
	}
	files := map[string][]byte{"api/deployment.yaml": []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n")}
	return p, files
}

// writeLayout writes p and files as a plan artifact, skipping every check,
// and returns its reference by digest.
func writeLayout(ctx context.Context, dir string, p *plan.Plan, files map[string][]byte) (string, error) {
	store, err := oci.New(dir)
	if err != nil {
		return "", err
	}
	doc, err := plan.Encode(p)
	if err != nil {
		return "", err
	}
	bundle, err := plan.WriteBundle(files)
	if err != nil {
		return "", err
	}
	var layers []ocispec.Descriptor
	for _, l := range []struct {
		mediaType string
		data      []byte
	}{{plan.PlanMediaType, doc}, {plan.ManifestsMediaType, bundle}} {
		desc := ocispec.Descriptor{MediaType: l.mediaType, Digest: digest.FromBytes(l.data), Size: int64(len(l.data))}
		if err := store.Push(ctx, desc, bytes.NewReader(l.data)); err != nil {
			return "", fmt.Errorf("writing %s: %w", l.mediaType, err)
		}
		layers = append(layers, desc)
	}
	desc, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, plan.ArtifactType, oras.PackManifestOptions{Layers: layers})
	if err != nil {
		return "", err
	}
	return "oci-layout:" + dir + "@" + desc.Digest.String(), nil
}
