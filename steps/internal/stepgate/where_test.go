package stepgate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// TestTargetsOf: each side is read from its target's Prometheus, else from
// the default (the input or canary.analysis.prometheusURL); with no
// default the canary target's is it. Names never carry credentials.
func TestTargetsOf(t *testing.T) {
	in := func(role config.Role, cluster string) topology.Side {
		return topology.Side{Role: role, Location: topology.Location{Context: cluster, ClusterID: cluster, Namespace: "shop"}}
	}
	tested := []canary.Tested{{Service: "cart",
		Stable: canary.Version{Version: "1.0.0", Side: in(config.RoleStable, "release")},
		Canary: canary.Version{Version: "1.1.0", Side: in(config.RoleCanary, "canary")}}}
	const (
		relProm = "http://prom.release.example:9090"
		canProm = "https://reader:secret@prom.canary.example?tenant=shop"
		input   = "http://prom.global.example"
	)
	where := func(stable, canary string) map[config.Role]Metrics {
		return map[config.Role]Metrics{
			config.RoleStable: {ClusterID: "release", PrometheusURL: stable},
			config.RoleCanary: {ClusterID: "canary", PrometheusURL: canary},
		}
	}
	side := func(version, cluster, prometheus string) analysis.Side {
		return analysis.Side{Namespace: "shop", Version: version, Cluster: cluster, Prometheus: prometheus}
	}
	tests := []struct {
		name           string
		where          map[config.Role]Metrics
		def            string
		canary, stable string // the sides' Prometheus names
		want           Sources
		wantErr        bool
	}{
		{"one Prometheus", where("", ""), input, "", "", Sources{Default: input, Others: map[string]string{}}, false},
		{"one per cluster, no default", where(relProm, canProm), "", "", relProm,
			Sources{Default: canProm, Others: map[string]string{relProm: relProm}}, false},
		{"one per cluster beside the input", where(relProm, canProm), input, "https://prom.canary.example", relProm,
			Sources{Default: input, Others: map[string]string{relProm: relProm, "https://prom.canary.example": canProm}}, false},
		{"the canary's own, stable on the input", where("", canProm), input, "https://prom.canary.example", "",
			Sources{Default: input, Others: map[string]string{"https://prom.canary.example": canProm}}, false},
		{"only stable's, no default", where(relProm, ""), "", "", "", Sources{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			targets, src, err := targetsOf(tested, tt.where, tt.def)
			if tt.wantErr {
				if outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), "the canary target has none") {
					t.Errorf("targetsOf = %v, want an invalid-input error saying the canary has no Prometheus", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []analysis.Target{{Service: "cart", Canary: side("1.1.0", "canary", tt.canary), Stable: side("1.0.0", "release", tt.stable)}}
			if diff := cmp.Diff(want, targets); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, src); diff != "" {
				t.Errorf("sources (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSourcesNameDistinctURLs: two URLs that a report shows alike get
// distinct names.
func TestSourcesNameDistinctURLs(t *testing.T) {
	s := Sources{Others: map[string]string{}}
	a, b := s.name("http://a:1@prom.example"), s.name("http://b:2@prom.example")
	if a == b || a != "http://prom.example" || b != "http://prom.example (2)" || s.name("http://a:1@prom.example") != a {
		t.Errorf("names = %q, %q; want http://prom.example and http://prom.example (2), the first again for its URL", a, b)
	}
}
