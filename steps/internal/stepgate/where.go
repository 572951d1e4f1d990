package stepgate

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Metrics says where the metrics of one target's side are found.
type Metrics struct {
	// ClusterID is the Istio cluster ID the side's metrics carry as
	// destination_cluster; empty when it is not known for sure.
	ClusterID string
	// PrometheusURL is the Prometheus that scrapes the target's cluster
	// (its prometheusURL); empty: the analysis's default one.
	PrometheusURL string
}

// MetricsOf says, by target role, where each target's metrics are found.
// A target's Prometheus is its prometheusURL.
// With one mesh across the clusters, a target's Istio cluster ID (its
// clusterID, else its kubeconfig context's name) is what istiod labels its
// endpoints with and what its sidecars report, so it is known for sure.
// With separate meshes it is only when the target gives clusterID: each
// mesh names its cluster as it was installed (Istio's default is
// "Kubernetes"), and aviary routes by ingress address, not cluster ID.
func MetricsOf(top config.Topology) map[config.Role]Metrics {
	out := map[config.Role]Metrics{}
	for _, tg := range top.Targets {
		m := Metrics{ClusterID: tg.IstioClusterID(), PrometheusURL: tg.PrometheusURL}
		if top.Mesh == config.MeshSeparate {
			m.ClusterID = tg.ClusterID
		}
		out[tg.Role] = m
	}
	return out
}

// Sources are the Prometheus servers an analysis reads: Default, the one at
// the analysis's PrometheusURL (read by the sides that name none), and the
// others by the names the sides give (analysis.Side.Prometheus). A name is
// the URL without credentials, query or fragment, as reports show it.
type Sources struct {
	Default string
	Others  map[string]string
}

// targetsOf is the analysis targets of the services in canary, each side
// read from its target's Prometheus (where) or else from def, the
// prometheus-url input or canary.analysis.prometheusURL. With no def, the
// canary target's Prometheus is the default: the canary side's metrics
// are the ones every measurement needs. A stable target with a Prometheus
// while the canary has none and there is no default is outcome.Invalid:
// the canary could not be measured.
func targetsOf(tested []canary.Tested, where map[config.Role]Metrics, def string) ([]analysis.Target, Sources, error) {
	src := Sources{Default: def, Others: map[string]string{}}
	if src.Default == "" && len(tested) > 0 {
		src.Default = where[tested[0].Canary.Side.Role].PrometheusURL
	}
	var targets []analysis.Target
	for _, t := range tested {
		target := TargetOf(t, where)
		target.Canary.Prometheus = src.name(where[t.Canary.Side.Role].PrometheusURL)
		target.Stable.Prometheus = src.name(where[t.Stable.Side.Role].PrometheusURL)
		targets = append(targets, target)
	}
	if src.Default == "" && len(src.Others) > 0 {
		return nil, Sources{}, outcome.Invalidf("analysis: the stable target has a prometheusURL but the canary target has none, and no prometheus-url input or canary.analysis.prometheusURL is given: the canary's metrics cannot be read")
	}
	return targets, src, nil
}

// name is the name a side reading url gives: "" for the default.
func (s Sources) name(url string) string {
	if url == "" || url == s.Default {
		return ""
	}
	key := analysis.RedactURL(url)
	for i := 2; s.Others[key] != "" && s.Others[key] != url; i++ {
		// Two URLs that differ only in what a report leaves out.
		key = fmt.Sprintf("%s (%d)", analysis.RedactURL(url), i)
	}
	s.Others[key] = url
	return key
}
