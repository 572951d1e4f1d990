package xdsprobe

import (
	"strconv"
	"strings"
)

// ClusterName is an Istio Envoy cluster name taken apart:
// "outbound|80|canary|cart.shop.svc.cluster.local" is direction outbound,
// port 80, subset canary, host cart.shop.svc.cluster.local.
type ClusterName struct {
	Direction string
	Port      int
	Subset    string
	Host      string
}

// ParseClusterName takes an Istio cluster name apart; ok is false for any
// other name (BlackHoleCluster, PassthroughCluster, ...).
func ParseClusterName(name string) (_ ClusterName, ok bool) {
	parts := strings.Split(name, "|")
	if len(parts) != 4 {
		return ClusterName{}, false
	}
	port, err := strconv.Atoi(parts[1])
	if err != nil || parts[3] == "" {
		return ClusterName{}, false
	}
	return ClusterName{Direction: parts[0], Port: port, Subset: parts[2], Host: parts[3]}, true
}

// String puts the name back together.
func (c ClusterName) String() string {
	return c.Direction + "|" + strconv.Itoa(c.Port) + "|" + c.Subset + "|" + c.Host
}

// OutboundCluster is the name of a sidecar's cluster for host, port and
// subset (empty for the whole service).
func OutboundCluster(host string, port int, subset string) string {
	return ClusterName{Direction: "outbound", Port: port, Subset: subset, Host: host}.String()
}
