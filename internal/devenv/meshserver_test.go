package devenv

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestPodServer: a pod's server answers as its version behaves, and
// reports each request as the pod's sidecar would.
func TestPodServer(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics, err := newMeshMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m := &Mesh{metrics: metrics}
	s, err := startPodServer(m, meshPod{Name: "cart-v2-abc", IP: "10.244.0.9", peerInfo: peerInfo{
		Workload: "cart-v2", Namespace: "shop", App: "cart", Version: "v2", Cluster: "cluster-1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	conn, err := grpc.NewClient("passthrough:///cart.shop.svc.cluster.local:80",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", s.addr)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	call := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, mdSourceWorkload, "frontend", mdSourceNamespace, "shop")
		out := &wrapperspb.StringValue{}
		err := conn.Invoke(ctx, echoMethod, wrapperspb.String("hi"), out)
		if err == nil && out.Value != "cart-v2-abc" {
			t.Errorf("Echo answered %q, want the pod's name", out.Value)
		}
		return err
	}
	if err := call(); err != nil {
		t.Fatalf("call to a healthy pod: %v", err)
	}
	m.Set("cart", "v2", Behaviour{ErrorRatio: 1})
	err = call()
	if code, grpcCode, flags := sourceOutcome(err); code != 503 || grpcCode != codes.Unavailable || flags != "-" {
		t.Errorf("call to a failing pod: %v → sourceOutcome = %d, %v, %q; want 503, Unavailable, -", err, code, grpcCode, flags)
	}
	if status.Code(err) != codes.Unavailable {
		t.Errorf("call to a failing pod = %v, want Unavailable", err)
	}
	want := `
# HELP istio_requests_total Requests, as reported by Istio's sidecars (source and destination).
# TYPE istio_requests_total counter
istio_requests_total{connection_security_policy="none",destination_app="cart",destination_canonical_revision="v2",destination_canonical_service="cart",destination_cluster="cluster-1",destination_principal="unknown",destination_service="cart.shop.svc.cluster.local",destination_service_name="cart",destination_service_namespace="shop",destination_version="v2",destination_workload="cart-v2",destination_workload_namespace="shop",grpc_response_status="0",reporter="destination",request_protocol="grpc",response_code="200",response_flags="-",source_app="unknown",source_canonical_revision="latest",source_canonical_service="unknown",source_cluster="unknown",source_principal="unknown",source_version="unknown",source_workload="frontend",source_workload_namespace="shop"} 1
istio_requests_total{connection_security_policy="none",destination_app="cart",destination_canonical_revision="v2",destination_canonical_service="cart",destination_cluster="cluster-1",destination_principal="unknown",destination_service="cart.shop.svc.cluster.local",destination_service_name="cart",destination_service_namespace="shop",destination_version="v2",destination_workload="cart-v2",destination_workload_namespace="shop",grpc_response_status="14",reporter="destination",request_protocol="grpc",response_code="503",response_flags="-",source_app="unknown",source_canonical_revision="latest",source_canonical_service="unknown",source_cluster="unknown",source_principal="unknown",source_version="unknown",source_workload="frontend",source_workload_namespace="shop"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "istio_requests_total"); err != nil {
		t.Error(err)
	}
}
