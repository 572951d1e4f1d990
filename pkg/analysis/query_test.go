package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/config"
)

func TestSelector(t *testing.T) {
	tests := []struct {
		name string
		side Side
		want string
	}{
		{"version subset", Side{Namespace: "shop", Version: "v2"},
			`reporter="destination",destination_workload_namespace="shop",destination_service_name="api",destination_version="v2"`},
		{"canary namespace, any version", Side{Namespace: "shop-canary"},
			`reporter="destination",destination_workload_namespace="shop-canary",destination_service_name="api"`},
		{"workload instead of service", Side{Namespace: "shop", Workload: "api-v2", Version: "v2"},
			`reporter="destination",destination_workload_namespace="shop",destination_workload="api-v2",destination_version="v2"`},
		{"canary in another cluster of the mesh", Side{Namespace: "shop", Version: "v2", Cluster: "canary"},
			`reporter="destination",destination_workload_namespace="shop",destination_service_name="api",destination_version="v2",destination_cluster="canary"`},
		{"cluster alone", Side{Namespace: "shop", Cluster: "cluster-2"},
			`reporter="destination",destination_workload_namespace="shop",destination_service_name="api",destination_cluster="cluster-2"`},
		{"quotes are escaped", Side{Namespace: "shop", Version: `v"2`},
			`reporter="destination",destination_workload_namespace="shop",destination_service_name="api",destination_version="v\"2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := selector("api", tt.side); got != tt.want {
				t.Errorf("selector(api, %+v) = %s, want %s", tt.side, got, tt.want)
			}
		})
	}
}

func TestPromDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:        "30s",
		5 * time.Minute:         "300s",
		1500 * time.Millisecond: "1500ms",
	} {
		if got := promDuration(d); got != want {
			t.Errorf("promDuration(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestBuiltinQueries(t *testing.T) {
	d := templateData("api", Side{Namespace: "shop", Version: "v2"}, 5*time.Second)
	sel := `reporter="destination",destination_workload_namespace="shop",destination_service_name="api",destination_version="v2"`
	tests := []struct {
		name, got, want string
	}{
		{"requests", requestsQuery(d), `sum(increase(istio_requests_total{` + sel + `}[5s]))`},
		{"success rate", successRateQuery(d),
			`100 * (1 - (sum(rate(istio_requests_total{` + sel + `,response_code=~"5.."}[5s])) or vector(0)) / sum(rate(istio_requests_total{` + sel + `}[5s])))`},
		{"p99", p99Query(d), `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{` + sel + `}[5s])))`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s query = %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestRenderQuery(t *testing.T) {
	d := templateData("api", Side{Namespace: "shop", Version: "v2", Workload: "api-v2"}, 30*time.Second)
	tests := []struct {
		text, want, wantErr string
	}{
		{`sum(rate(x{ns="{{.Namespace}}",svc="{{.Service}}",v="{{.Version}}",w="{{.Workload}}"}[{{.Interval}}]))`,
			`sum(rate(x{ns="shop",svc="api",v="v2",w="api-v2"}[30s]))`, ""},
		{`sum(rate(istio_requests_total{ {{- .Selector -}} }[1m]))`,
			`sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload="api-v2",destination_version="v2"}[1m]))`, ""},
		{`sum(rate(x{destination_cluster="{{.Cluster}}"}[1m]))`, `sum(rate(x{destination_cluster=""}[1m]))`, ""},
		{`{{.Nope}}`, "", "can't evaluate field Nope"},
		{`{{.Service`, "", "parsing query template"},
		{`  `, "", "query is empty"},
	}
	for _, tt := range tests {
		got, err := config.RenderQuery(tt.text, d)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("RenderQuery(%q) = %v, want an error containing %q", tt.text, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("RenderQuery(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
}

// TestRenderQueryCluster: a side in another cluster of the mesh gives its
// custom queries its cluster ID, alone and in the selector.
func TestRenderQueryCluster(t *testing.T) {
	d := templateData("api", Side{Namespace: "shop", Version: "v2", Cluster: "canary"}, 30*time.Second)
	text := `sum(rate(x{cluster="{{.Cluster}}"}[{{.Interval}}])) / sum(rate(istio_requests_total{ {{- .Selector -}} }[{{.Interval}}]))`
	want := `sum(rate(x{cluster="canary"}[30s])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_service_name="api",destination_version="v2",destination_cluster="canary"}[30s]))`
	if got, err := config.RenderQuery(text, d); err != nil || got != want {
		t.Errorf("RenderQuery(%q) = %q, %v; want %q", text, got, err, want)
	}
}
