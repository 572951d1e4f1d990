package devenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// ClusterTarget returns the scrape target ("127.0.0.1:<port>", path
// /metrics) of one cluster's sidecars, for a Prometheus per cluster: the
// series the mesh's workloads in cluster (an Istio cluster ID) report, that
// is the destination-reported ones of requests its pods received
// (destination_cluster) and the source-reported ones of requests its
// callers sent (source_cluster). Mesh.Target serves every cluster's. The
// endpoint starts on first use and stops with the mesh.
func (m *Mesh) ClusterTarget(cluster string) (string, error) {
	if cluster == "" {
		return "", errors.New("a cluster's metrics need its cluster ID")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return "", errors.New("the mesh is closed")
	}
	if srv, ok := m.clusterSrvs[cluster]; ok {
		return srv.target, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening for cluster %s's metrics: %w", cluster, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(clusterGatherer{m.gatherer, cluster}, promhttp.HandlerOpts{}))
	srv := clusterServer{target: ln.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog()}}
	go func() { _ = srv.srv.Serve(ln) }()
	if m.clusterSrvs == nil {
		m.clusterSrvs = map[string]clusterServer{}
	}
	m.clusterSrvs[cluster] = srv
	return srv.target, nil
}

type clusterServer struct {
	target string
	srv    *http.Server
}

// closeClusterTargets stops the clusters' metrics endpoints.
func (m *Mesh) closeClusterTargets() {
	m.mu.Lock()
	srvs := m.clusterSrvs
	m.clusterSrvs = nil
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range srvs {
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
	}
}

// clusterGatherer keeps the series one cluster's sidecars report.
type clusterGatherer struct {
	prometheus.Gatherer
	cluster string
}

func (g clusterGatherer) Gather() ([]*dto.MetricFamily, error) {
	families, err := g.Gatherer.Gather()
	for _, f := range families {
		kept := f.Metric[:0]
		for _, m := range f.Metric {
			if reportedIn(m, g.cluster) {
				kept = append(kept, m)
			}
		}
		f.Metric = kept
	}
	return families, err
}

// reportedIn says whether the sidecar that reported m runs in cluster.
func reportedIn(m *dto.Metric, cluster string) bool {
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	switch labels["reporter"] {
	case "destination":
		return labels["destination_cluster"] == cluster
	case "source":
		return labels["source_cluster"] == cluster
	}
	return false
}
