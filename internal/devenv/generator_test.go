package devenv

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLogNormalPercentiles(t *testing.T) {
	for _, tc := range []struct{ p50, p99 float64 }{{20, 100}, {5, 400}, {100, 100}} {
		d := newLogNormal(tc.p50, tc.p99)
		if got := d.cdf(tc.p50); math.Abs(got-0.5) > 1e-9 {
			t.Errorf("cdf(p50=%v) = %v, want 0.5", tc.p50, got)
		}
		if tc.p99 > tc.p50 {
			if got := d.cdf(tc.p99); math.Abs(got-0.99) > 1e-6 {
				t.Errorf("cdf(p99=%v) = %v, want 0.99", tc.p99, got)
			}
		}
	}
}

func TestGeneratorAccruesWithTime(t *testing.T) {
	now := time.Unix(1000, 0)
	g := newGenerator(func() time.Time { return now })
	s := Series{Service: "reviews", Namespace: "shop", Version: "v2", RPS: 100, ErrorRatio: 0.25, LatencyP99ms: 200}
	if err := g.set(s); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Second) // 1000 requests: 750 ok, 250 failed
	s.ErrorRatio = 0.5
	if err := g.set(s); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Second) // 200 more: 100 ok, 100 failed

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(g)
	for code, want := range map[string]float64{"200": 850, "500": 350} {
		got := counterValue(t, reg, code)
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("istio_requests_total{response_code=%q} = %v, want %v", code, got, want)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "istio_request_duration_milliseconds"); err != nil || n != 2 {
		t.Errorf("histogram series = %d, %v; want 2, nil", n, err)
	}
}

func TestGeneratorRejectsIncompleteSeries(t *testing.T) {
	g := newGenerator(time.Now)
	if err := g.set(Series{Service: "reviews"}); err == nil {
		t.Errorf("set(series without namespace) = nil, want an error")
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, code string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "istio_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "response_code" && l.GetValue() == code {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no istio_requests_total with response_code %q", code)
	return 0
}

// TestSplitLabelsEachLayout checks the labels the destination sidecars
// give a split's series in the two namespace layouts: beside each other
// the versions differ by destination_version; with a canary namespace by
// destination_workload_namespace too, while destination_service stays the
// host the clients called.
func TestSplitLabelsEachLayout(t *testing.T) {
	label := func(s Series, name string) string {
		for i, l := range telemetryLabels {
			if l == name {
				return labelValues(s.withDefaults(), 200)[i]
			}
		}
		t.Fatalf("no label %s", name)
		return ""
	}
	tests := []struct {
		name   string
		series []Series
		want   [][4]string // workload namespace, version, workload, service
	}{
		{"single-cluster", Split("cart", "shop", 100, Share{Namespace: "shop", Version: "1.0.0", Weight: 90}, Share{Namespace: "shop", Version: "1.1.0", Weight: 10}),
			[][4]string{{"shop", "1.0.0", "cart-v1-0-0", "cart.shop.svc.cluster.local"}, {"shop", "1.1.0", "cart-v1-1-0", "cart.shop.svc.cluster.local"}}},
		{"canary-namespace", Split("cart", "shop", 100, Share{Namespace: "shop", Version: "1.0.0", Weight: 90}, Share{Namespace: "shop-canary", Version: "1.1.0", Weight: 10}),
			[][4]string{{"shop", "1.0.0", "cart-v1-0-0", "cart.shop.svc.cluster.local"}, {"shop-canary", "1.1.0", "cart-v1-1-0", "cart.shop.svc.cluster.local"}}},
	}
	for _, tt := range tests {
		for i, s := range tt.series {
			got := [4]string{label(s, "destination_workload_namespace"), label(s, "destination_version"), label(s, "destination_workload"), label(s, "destination_service")}
			if got != tt.want[i] {
				t.Errorf("%s: series %d labels = %v, want %v", tt.name, i, got, tt.want[i])
			}
		}
		if tt.series[0].RPS != 90 || tt.series[1].RPS != 10 {
			t.Errorf("%s: rates %v/%v, want 90/10", tt.name, tt.series[0].RPS, tt.series[1].RPS)
		}
	}
}

// TestSplitAcrossClusters: a route in the release cluster splitting cart
// between its pods there and the canary cluster's gives two series that
// differ by destination_cluster, both called from the release cluster
// (source_cluster), as Istio's sidecars label them.
func TestSplitAcrossClusters(t *testing.T) {
	series := Split("cart", "shop", 100,
		Share{Namespace: "shop", Version: "1.0.0", Weight: 75, Cluster: "release"},
		Share{Namespace: "shop", Version: "1.1.0", Weight: 25, Cluster: "canary", SourceCluster: "release"})
	want := [][2]string{{"release", "release"}, {"canary", "release"}}
	for i, s := range series {
		if got := [2]string{labelOf(t, s, "destination_cluster"), labelOf(t, s, "source_cluster")}; got != want[i] {
			t.Errorf("series %d: destination_cluster, source_cluster = %v, want %v", i, got, want[i])
		}
	}
	if def := (Series{Service: "cart", Namespace: "shop"}); labelOf(t, def, "destination_cluster") != "Kubernetes" || labelOf(t, def, "source_cluster") != "Kubernetes" {
		t.Errorf("a series without clusters is not labelled with Istio's default cluster ID, Kubernetes, at both ends")
	}
}

// TestClusterTelemetry: a cluster's telemetry labels its series with the
// cluster and refuses another cluster's, which that cluster's own
// Prometheus would scrape.
func TestClusterTelemetry(t *testing.T) {
	tel := StartClusterTelemetry(t, "canary", Series{Service: "cart", Namespace: "shop", Version: "1.1.0", SourceCluster: "release", RPS: 10})
	if err := tel.Set(Series{Service: "cart", Namespace: "shop", Version: "1.0.0", Cluster: "release", RPS: 10}); err == nil || !strings.Contains(err.Error(), "is of cluster release") {
		t.Errorf("Set(a series of another cluster) = %v, want it refused", err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(tel.gen)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range families {
		for _, m := range f.GetMetric() {
			n++
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["destination_cluster"] != "canary" || labels["source_cluster"] != "release" {
				t.Errorf("%s%v: want destination_cluster canary, source_cluster release", f.GetName(), labels)
			}
		}
	}
	if n == 0 {
		t.Error("the cluster's telemetry reports nothing")
	}
	if _, err := NewClusterTelemetry(t.Context(), ""); err == nil {
		t.Error("NewClusterTelemetry without a cluster ID = nil error, want one")
	}
}

func labelOf(t *testing.T, s Series, name string) string {
	t.Helper()
	for i, l := range telemetryLabels {
		if l == name {
			return labelValues(s.withDefaults(), 200)[i]
		}
	}
	t.Fatalf("no label %s", name)
	return ""
}
