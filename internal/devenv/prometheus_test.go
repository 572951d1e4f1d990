package devenv_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
)

const successRateQuery = `sum(irate(istio_requests_total{reporter="destination",destination_service_name="reviews",destination_workload_namespace="shop",destination_version="v2",response_code!~"5.."}[10s]))
/ sum(irate(istio_requests_total{reporter="destination",destination_service_name="reviews",destination_workload_namespace="shop",destination_version="v2"}[10s]))`

// waitFor polls query until it is within tolerance of want and returns how long that took.
func waitFor(t *testing.T, prom *devenv.Prometheus, query string, want, tolerance float64, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var got float64
	var err error
	for time.Since(start) < limit {
		got, err = prom.Query(context.Background(), query)
		if err == nil && math.Abs(got-want) <= tolerance {
			return time.Since(start)
		}
		if err != nil && !errors.Is(err, devenv.ErrNoSamples) {
			t.Fatalf("Query(%s) = %v", query, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Query(%s) = %v, %v after %s; want %v ± %v", query, got, err, limit, want, tolerance)
	return 0
}

func TestPrometheusFollowsTelemetry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	series := devenv.Series{Service: "reviews", Namespace: "shop", Version: "v2", RPS: 50, ErrorRatio: 0.1, LatencyP99ms: 200}
	tel := devenv.StartTelemetry(t, series)
	prom := devenv.StartPrometheus(t, tel.Target)

	took := waitFor(t, prom, successRateQuery, 0.9, 0.001, 30*time.Second)
	t.Logf("first success rate after %s", took.Round(10*time.Millisecond))

	series.ErrorRatio = 0.4
	if err := tel.Set(series); err != nil {
		t.Fatal(err)
	}
	// Two scrape intervals after the change the last two samples are pure;
	// allow slack for a loaded machine.
	took = waitFor(t, prom, successRateQuery, 0.6, 0.001, 10*prom.ScrapeInterval)
	t.Logf("success rate followed the change after %s (scrape interval %s)", took.Round(10*time.Millisecond), prom.ScrapeInterval)

	rps := `sum(rate(istio_requests_total{destination_service_name="reviews",destination_version="v2"}[5s]))`
	waitFor(t, prom, rps, 50, 2.5, 10*time.Second)

	// The real p99 (200 ms) lies in Istio's (100, 250] bucket; histogram_quantile interpolates inside it.
	p99 := `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{destination_service_name="reviews"}[5s])))`
	got, err := prom.Query(context.Background(), p99)
	if err != nil || got <= 100 || got > 250 {
		t.Errorf("Query(p99) = %v, %v; want a value in (100, 250]", got, err)
	}
}

func ExampleTelemetry_Set() {
	tel, err := devenv.NewTelemetry(context.Background())
	if err != nil {
		panic(err)
	}
	defer tel.Close()
	// The canary answers 2% of its 20 requests a second with 503.
	err = tel.Set(devenv.Series{Service: "reviews", Namespace: "shop", Version: "canary", RPS: 20, ErrorRatio: 0.02, ErrorCode: 503})
	fmt.Println(err)
	// Output: <nil>
}
