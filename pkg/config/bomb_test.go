package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestParseMergeKeys checks that YAML merge keys mean what YAML says: the
// mapping's own keys win wherever they are written, and of a list of merged
// mappings the earlier wins.
func TestParseMergeKeys(t *testing.T) {
	const head = `product: shop
topology: {kind: single-cluster, targets: [{role: release, namespace: shop}]}
services:
  - &api
    name: api
    image: registry.example/shop/api
    manifests: deploy/api
  - &web
    name: web
    image: registry.example/shop/web
    manifests: deploy/web
    port: 8080
`
	tests := []struct {
		name, service string
		want          Service
	}{
		{"override after", "  - <<: *api\n    name: worker\n",
			Service{Name: "worker", Image: "registry.example/shop/api", Manifests: "deploy/api"}},
		{"override before", "  - name: worker\n    <<: *api\n",
			Service{Name: "worker", Image: "registry.example/shop/api", Manifests: "deploy/api"}},
		{"list, earlier wins", "  - <<: [*web, *api]\n    name: cron\n",
			Service{Name: "cron", Image: "registry.example/shop/web", Manifests: "deploy/web", Port: 8080}},
		{"list, other order", "  - <<: [*api, *web]\n    name: cron\n",
			Service{Name: "cron", Image: "registry.example/shop/api", Manifests: "deploy/api", Port: 8080}},
		{"flow", "  - {<<: *web, name: cron, port: 9090}\n",
			Service{Name: "cron", Image: "registry.example/shop/web", Manifests: "deploy/web", Port: 9090}},
		{"nested merge", "  - &mid\n    <<: *web\n    name: mid\n  - <<: *mid\n    name: cron\n",
			Service{Name: "cron", Image: "registry.example/shop/web", Manifests: "deploy/web", Port: 8080}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("aviary.yaml", []byte(head+tt.service))
			if err != nil {
				t.Fatalf("Parse() error: %v", err)
			}
			got := cfg.Services[len(cfg.Services)-1]
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("merged service (-want +got):\n%s", diff)
			}
			if cfg.Services[0].Name != "api" || cfg.Services[1].Port != 8080 {
				t.Errorf("merging changed the anchored services: %+v", cfg.Services[:2])
			}
		})
	}
}

// TestParseBombs checks that documents built to exhaust the parser are
// refused quickly, as an invalid config naming the line.
func TestParseBombs(t *testing.T) {
	laughs := func(levels int) string {
		var b strings.Builder
		b.WriteString(minimal + "canary:\n  analysis:\n    webhooks:\n      - url: https://h.example\n        metadata:\n")
		b.WriteString("          x0: &x0 lol\n")
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&b, "          x%d: &x%d [*x%d%s]\n", i, i, i-1, strings.Repeat(fmt.Sprintf(", *x%d", i-1), 8))
		}
		return b.String()
	}
	merge := func(levels int) string {
		var b strings.Builder
		b.WriteString(minimal + "canary:\n  analysis:\n    webhooks:\n      - &w0 {url: https://h.example}\n")
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&b, "      - &w%d {<<: [*w%d%s]}\n", i, i-1, strings.Repeat(fmt.Sprintf(", *w%d", i-1), 8))
		}
		return b.String()
	}
	tests := []struct {
		name, doc string
		want      string
		line      int
	}{
		{"billion laughs", laughs(9), "more than 20000 YAML nodes once aliases and merge keys are expanded", 0},
		{"merge fan-out", merge(9), "more than 20000 YAML nodes once aliases and merge keys are expanded", 0},
		{"10k-deep flow", "product: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n", "nesting deeper than 64 levels", 1},
		{"10k-deep block", minimal + "canary:\n  steps:\n" + strings.Repeat("  - ", 10000) + "1\n", "nesting deeper than 64 levels", 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("aviary.yaml", []byte(tt.doc))
			took := time.Since(start)
			var ps *Problems
			if !errors.As(err, &ps) || outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse() = %v, want an invalid config saying %q", err, tt.want)
			}
			if ps.List[0].Line == 0 || tt.line != 0 && ps.List[0].Line != tt.line {
				t.Errorf("problem at line %d, want %d (or any line when 0)", ps.List[0].Line, tt.line)
			}
			if took > 5*time.Second {
				t.Errorf("Parse() took %v to refuse", took)
			}
		})
	}
}
