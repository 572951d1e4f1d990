package devenv

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestMeshClusterTarget: each cluster's scrape target serves what that
// cluster's sidecars report — the requests its pods received and those
// its callers sent — and Target still serves every cluster's.
func TestMeshClusterTarget(t *testing.T) {
	m, err := NewMesh(t.Context(), MeshOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	// A caller in the release cluster reaches a canary pod in the canary
	// cluster: the caller's sidecar reports it in release, the pod's in canary.
	caller := peerInfo{Workload: "frontend", Namespace: "shop", App: "frontend", Cluster: "release"}
	pod := peerInfo{Workload: "cart-v1-1-0", Namespace: "shop", App: "cart", Version: "1.1.0", Cluster: "canary"}
	for _, reporter := range []string{"source", "destination"} {
		m.metrics.observe(observation{reporter: reporter, source: caller, dest: pod, host: "cart.shop.svc.cluster.local:80",
			code: 200, grpcCode: codes.OK, duration: 3 * time.Millisecond})
	}
	scrape := func(target string) string {
		resp, err := http.Get("http://" + target + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	tests := []struct {
		cluster, reporter string
	}{
		{"release", "source"},
		{"canary", "destination"},
	}
	for _, tt := range tests {
		target, err := m.ClusterTarget(tt.cluster)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := m.ClusterTarget(tt.cluster); again != target {
			t.Errorf("ClusterTarget(%s) = %s, then %s; want one endpoint per cluster", tt.cluster, target, again)
		}
		body := scrape(target)
		n := strings.Count(body, "istio_requests_total{")
		if n != 1 || !strings.Contains(body, `reporter="`+tt.reporter+`"`) || strings.Contains(body, `reporter="`+otherThan(tt.reporter)+`"`) {
			t.Errorf("cluster %s serves %d request series, want the one its %s sidecar reported:\n%s", tt.cluster, n, tt.reporter, body)
		}
	}
	if n := strings.Count(scrape(m.Target), "istio_requests_total{"); n != 2 {
		t.Errorf("the mesh's target serves %d request series, want both ends' 2", n)
	}
	if target, _ := m.ClusterTarget("elsewhere"); strings.Contains(scrape(target), "istio_requests_total{") {
		t.Errorf("a cluster without workloads serves request series")
	}
}

func otherThan(reporter string) string {
	if reporter == "source" {
		return "destination"
	}
	return "source"
}
