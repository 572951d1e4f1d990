package analysis_test

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/analysis"
)

// TestRealPrometheusByCluster: one real Prometheus scrapes the synthetic
// Istio telemetry of two clusters of one mesh, "release" and "canary",
// where the same service, namespace and version run in both (the canary
// version in the release cluster too, as after a rebuilt canary cluster
// or with blue/green clusters carrying the same labels), and only one
// cluster's series fail. The analysis of the side in the canary cluster
// follows that cluster alone: it passes when only the release cluster's
// series fail and fails when only the canary cluster's do; the stable
// side of the comparison is read from the release cluster's series.
func TestRealPrometheusByCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	tel, server := startMetrics(t)
	spec := analysis.Spec{
		PrometheusURL: server.URL,
		Interval:      analysis.Duration{Duration: 3 * time.Second},
		Measurements:  2,
		FailureLimit:  2,
		CompareStable: &analysis.StableComparison{},
	}
	for _, tt := range []struct {
		failing string // the cluster whose series answer 20% errors
		wantErr bool
	}{
		{"release", false},
		{"canary", true},
	} {
		t.Run("only the "+tt.failing+" cluster fails", func(t *testing.T) {
			t.Parallel()
			service := "cart-" + tt.failing
			for _, s := range []devenv.Series{
				// The release cluster runs stable and, here, the canary's
				// version too; the canary cluster runs the canary.
				{Service: service, Namespace: "shop", Version: "v1", Cluster: "release", RPS: 200},
				{Service: service, Namespace: "shop", Version: "v2", Cluster: "release", RPS: 100, ErrorRatio: errorsIn("release", tt.failing)},
				{Service: service, Namespace: "shop", Version: "v2", Cluster: "canary", RPS: 100, ErrorRatio: errorsIn("canary", tt.failing)},
			} {
				if err := tel.Set(s); err != nil {
					t.Fatal(err)
				}
			}
			// Start once Prometheus has both clusters' canary traffic.
			waitFor(t, server, fmt.Sprintf(`count(sum by (destination_cluster) (rate(istio_requests_total{destination_service_name=%q,destination_version="v2"}[3s])) > 0)`, service), 2)
			target := analysis.Target{
				Service: service,
				Canary:  analysis.Side{Namespace: "shop", Version: "v2", Cluster: "canary"},
				Stable:  analysis.Side{Namespace: "shop", Version: "v1", Cluster: "release"},
			}
			a, err := analysis.New(spec, []analysis.Target{target}, analysis.Options{Querier: client(t, server.URL)})
			if err != nil {
				t.Fatal(err)
			}
			err = a.Check(t.Context(), 50)
			if failed := errors.Is(err, analysis.ErrAnalysisFailed); failed != tt.wantErr {
				t.Fatalf("Check() = %v, want failed %v", err, tt.wantErr)
			}
			sr := lastValue(a.Report(), analysis.MetricSuccessRate)
			want := 100.0
			if tt.wantErr {
				want = 80
			}
			if math.Abs(sr-want) > 0.5 {
				t.Errorf("canary success rate = %v%%, want %v%% ± 0.5: the canary cluster's series alone", sr, want)
			}
			if st := lastStable(a.Report(), analysis.MetricSuccessRate); st != 100 {
				t.Errorf("stable success rate = %v%%, want 100%% (the release cluster's v1)", st)
			}
		})
	}
}

func errorsIn(cluster, failing string) float64 {
	if cluster == failing {
		return 0.2
	}
	return 0
}

func lastStable(r analysis.Report, metric string) float64 {
	v := math.NaN()
	for _, s := range r.Steps {
		for _, m := range s.Measurements {
			for _, res := range m.Results {
				if res.Metric == metric && res.Stable != nil {
					v = *res.Stable
				}
			}
		}
	}
	return v
}

// waitFor waits until query reads want on the real Prometheus.
func waitFor(t testing.TB, server *devenv.Prometheus, query string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := server.Query(t.Context(), query)
		if err == nil && v == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, %v after 30s; want %v", query, v, err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
