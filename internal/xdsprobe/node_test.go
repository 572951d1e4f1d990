package xdsprobe

import "testing"

func TestNodeID(t *testing.T) {
	tests := []struct {
		node Node
		want string
	}{
		{Sidecar("shop", "cluster-1"), "sidecar~10.255.255.254~xdsprobe.shop~shop.svc.cluster.local"},
		{Node{Kind: SidecarKind, IP: "10.244.9.9", Pod: "client-1", Namespace: "shop", ClusterID: "c"}, "sidecar~10.244.9.9~client-1.shop~shop.svc.cluster.local"},
		{Router("istio-system", "cluster-1", map[string]string{"istio": "ingressgateway"}), "router~10.255.255.254~xdsprobe-gateway.istio-system~istio-system.svc.cluster.local"},
		{Node{Namespace: "shop", ClusterID: "c"}, "sidecar~10.255.255.254~xdsprobe.shop~shop.svc.cluster.local"},
	}
	for _, tt := range tests {
		if got := tt.node.ID(); got != tt.want {
			t.Errorf("%+v.ID() = %q, want %q", tt.node, got, tt.want)
		}
	}
}

func TestNodeMetadata(t *testing.T) {
	n, err := Router("istio-system", "cluster-2", map[string]string{"istio": "ingressgateway"}).proto()
	if err != nil {
		t.Fatal(err)
	}
	f := n.GetMetadata().GetFields()
	for key, want := range map[string]string{"NAMESPACE": "istio-system", "CLUSTER_ID": "cluster-2", "ISTIO_VERSION": DefaultIstioVersion} {
		if got := f[key].GetStringValue(); got != want {
			t.Errorf("metadata %s = %q, want %q", key, got, want)
		}
	}
	if got := f["LABELS"].GetStructValue().GetFields()["istio"].GetStringValue(); got != "ingressgateway" {
		t.Errorf("metadata LABELS.istio = %q, want ingressgateway", got)
	}
}

func TestNodeValidate(t *testing.T) {
	tests := []struct {
		node    Node
		wantErr bool
	}{
		{Sidecar("shop", "cluster-1"), false},
		{Node{ClusterID: "c"}, true},
		{Node{Namespace: "shop"}, true},
		{Node{Kind: "waypoint", Namespace: "shop", ClusterID: "c"}, true},
	}
	for _, tt := range tests {
		if err := tt.node.validate(); (err != nil) != tt.wantErr {
			t.Errorf("%+v.validate() = %v, want error %v", tt.node, err, tt.wantErr)
		}
	}
}

func TestRouteConfigName(t *testing.T) {
	tests := []struct {
		kind Kind
		port int
		want string
	}{
		{SidecarKind, 80, "80"},
		{RouterKind, 8080, "http.8080"},
	}
	for _, tt := range tests {
		if got := RouteConfigName(tt.kind, tt.port); got != tt.want {
			t.Errorf("RouteConfigName(%s, %d) = %q, want %q", tt.kind, tt.port, got, tt.want)
		}
	}
}
