package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func ptr[T any](v T) *T { return &v }

func TestParseValid(t *testing.T) {
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("aviary.yaml", data)
	if err != nil {
		t.Fatalf("Parse(valid.yaml) error: %v", err)
	}
	want := &Config{
		Product: "shop",
		Services: []Service{
			{Name: "api", Image: "registry.example/shop/api", Manifests: "deploy/api", Port: 8080},
			{Name: "web", Image: "registry.example/shop/web:2.0.0", Manifests: "deploy/web"},
		},
		Topology: Topology{Kind: CanaryNamespace, Targets: []Target{
			{Role: RoleStable, Cluster: "prod-eu", Namespace: "shop"},
			{Role: RoleCanary, Cluster: "prod-eu", Namespace: "shop-canary"},
		}},
		Canary: Canary{
			Steps: []int{5, 20, 50}, Pause: Duration{Duration: time.Minute}, InitialWeight: 1,
			Analysis: Analysis{Interval: Duration{Duration: 15 * time.Second}, Measurements: 4, FailureLimit: 1,
				MinRequests: ptr(50), SuccessRate: ptr(99.5), MaxP99Ms: ptr(300.0),
				Guard: &Guard{ScrapeInterval: Duration{Duration: time.Second}, Scrapes: 3, MinRequests: ptr(5), SuccessRate: ptr(40.0), P99Factor: ptr(8.0)}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse(valid.yaml) mismatch (-want +got):\n%s", diff)
	}
}

const minimal = `product: shop
services:
  - name: api
    image: registry.example/shop/api
    manifests: deploy/api
topology:
  kind: single-cluster
  targets:
    - role: release
      namespace: shop
`

// TestParseProblems checks that every problem is reported, each with its
// path and, where the path is in the file, its line.
func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error, in order
	}{
		{"minimal is fine", minimal, nil},
		{"empty", "  \n", []string{"aviary.yaml: file is empty"}},
		{"syntax", "product: [shop\n", []string{"aviary.yaml:1:"}},
		{"two documents", minimal + "---\nproduct: x\n", []string{"2 YAML documents"}},
		{
			"unknown fields, all of them, with lines",
			strings.Replace(minimal, "    manifests: deploy/api\n", "    manifests: deploy/api\n    replicas: 3\n    prot: 80\n", 1) + "extra: true\n",
			[]string{
				`aviary.yaml:6:5: services[0].replicas: unknown field "replicas"`,
				`aviary.yaml:7:5: services[0].prot: unknown field "prot"`,
				`aviary.yaml:13:1: extra: unknown field "extra"`,
			},
		},
		{
			"case slip suggests the field",
			minimal + "canary:\n  initialweight: 5\n",
			[]string{`aviary.yaml:12:3: canary.initialweight: unknown field "initialweight" (did you mean "initialWeight"?)`},
		},
		{
			"duplicate key",
			"product: shop\nproduct: again\n" + strings.TrimPrefix(minimal, "product: shop\n"),
			[]string{`aviary.yaml:2:1: mapping key "product" already defined at [1:1]`},
		},
		{
			"type error",
			strings.Replace(minimal, "manifests: deploy/api", "manifests: deploy/api\n    port: eighty", 1),
			[]string{"aviary.yaml:6:"},
		},
		{
			"mapping where a list belongs",
			strings.Replace(minimal, "services:\n  - name: api", "services:\n  name: api\n  x:\n  - name: api", 1),
			[]string{"aviary.yaml:3:3: services: must be a list"},
		},
		{
			"duplicate service, bad names, image with digest, missing image",
			`product: Shop
services:
  - name: api
    image: registry.example/shop/api
    manifests: deploy/api
  - name: api
    image: registry.example/shop/api2@sha256:` + strings.Repeat("a", 64) + `
    manifests: /abs
  - name: web_ui
    manifests: ../elsewhere
    port: 70000
topology:
  kind: single-cluster
  targets:
    - role: release
      namespace: shop
`,
			[]string{
				`aviary.yaml:1:10: product: "Shop" is not a DNS-1123 label`,
				`aviary.yaml:6:11: services[1].name: duplicate service "api" (also services[0])`,
				`aviary.yaml:7:12: services[1].image: "registry.example/shop/api2@sha256:` + strings.Repeat("a", 64) + `" carries a digest`,
				`aviary.yaml:8:16: services[1].manifests: "/abs" is absolute`,
				`aviary.yaml:9:5: services[2].image: is required`,
				`aviary.yaml:9:11: services[2].name: "web_ui" is not a DNS-1123 label`,
				`aviary.yaml:10:16: services[2].manifests: "../elsewhere" leaves the repository`,
				`aviary.yaml:11:11: services[2].port: 70000 is not a port`,
			},
		},
		{
			"topology roles",
			strings.Replace(minimal, "kind: single-cluster", "kind: blue-green-clusters", 1),
			[]string{
				`aviary.yaml:9:5: topology.targets: blue-green-clusters needs targets with roles active, passive; missing active, passive`,
				`aviary.yaml:9:13: topology.targets[0].role: blue-green-clusters takes no release target; it takes active, passive, gateway`,
			},
		},
		{
			"unknown topology kind",
			strings.Replace(minimal, "kind: single-cluster", "kind: mesh", 1),
			[]string{`topology.kind: "mesh" is not a topology kind: one of single-cluster,`},
		},
		{
			"clusters must differ",
			strings.Replace(minimal, `  kind: single-cluster
  targets:
    - role: release
      namespace: shop
`, `  kind: delta-canary-cluster
  targets:
    - role: stable
      cluster: prod
      namespace: shop
    - role: canary
      cluster: prod
      namespace: shop
`, 1),
			[]string{`topology.targets: delta-canary-cluster needs the stable and canary targets in different clusters; both say "prod"`},
		},
		{
			"canary policy",
			minimal + `canary:
  steps: [10, 5, 120]
  pause: soon
`,
			[]string{`aviary.yaml:13:10: canary.pause: invalid duration "soon"`},
		},
		{
			"canary numbers",
			minimal + `canary:
  steps: [10, 5, 120]
  initialWeight: 10
  analysis:
    successRate: 120
    measurements: 2
    failureLimit: 0
`,
			[]string{
				`canary.steps[1]: 5 does not increase on the step before (10)`,
				`canary.steps[2]: 120 is not a weight in percent (1-100)`,
				`canary.initialWeight: 10 is not below the first step (10)`,
				`canary.analysis.successRate: 120 is not a percentage between 0 and 100`,
			},
		},
		{
			"guard numbers",
			minimal + `canary:
  analysis:
    guard:
      scrapeInterval: 10ms
      scrapes: 1
      minRequests: -1
      successRate: 101
      p99Factor: -2
`,
			[]string{
				`canary.analysis.guard.scrapeInterval: 10ms is shorter than 100ms`,
				`canary.analysis.guard.scrapes: 1: need at least 2, the fewest rate() can work with`,
				`canary.analysis.guard.minRequests: -1 is negative`,
				`canary.analysis.guard.successRate: 101 is not a percentage between 0 and 100`,
				`canary.analysis.guard.p99Factor: -2 is negative`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("aviary.yaml", []byte(tt.yaml))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Parse() error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse() = nil error, want %q", tt.want)
			}
			if k := outcome.KindOf(err); k != outcome.KindInvalid {
				t.Errorf("KindOf(Parse()) = %v, want invalid", k)
			}
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Errorf("Parse() error is not *Problems: %T", err)
			}
			msg := err.Error()
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("Parse() error lacks %q (in order); got:\n%s", w, msg)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
