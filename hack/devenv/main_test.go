package main

import (
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
)

func TestEnvScript(t *testing.T) {
	env := &devenv.Env{
		Registry:   &devenv.Registry{Host: "127.0.0.1:5000", URL: "http://127.0.0.1:5000"},
		Clusters:   []*devenv.Cluster{{Name: "cluster-1", ClusterID: "cluster-1", Kubeconfig: "/k/one"}, {Name: "east.b", Kubeconfig: "/k/it's"}},
		Istiods:    []*devenv.Istiod{{ClusterID: "cluster-1", GRPCAddr: "127.0.0.1:15010", HTTPAddr: "127.0.0.1:8080"}},
		Prometheus: &devenv.Prometheus{URL: "http://127.0.0.1:9090"},
		Telemetry:  &devenv.Telemetry{URL: "http://127.0.0.1:9100/metrics"},
	}
	got := envScript(env)
	for _, want := range []string{
		"export AVIARY_REGISTRY='127.0.0.1:5000'\n",
		"export KUBECONFIG_CLUSTER_1='/k/one'\n",
		`export KUBECONFIG_EAST_B='/k/it'\''s'` + "\n",
		"export AVIARY_CLUSTERS='cluster-1 east.b'\n",
		"export PROMETHEUS_URL='http://127.0.0.1:9090'\n",
		"export TELEMETRY_URL='http://127.0.0.1:9100/metrics'\n",
		"export ISTIO_CLUSTER_ID_CLUSTER_1='cluster-1'\n",
		"export ISTIOD_XDS_CLUSTER_1='127.0.0.1:15010'\n",
		"export ISTIOD_DEBUG_CLUSTER_1='127.0.0.1:8080'\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("envScript() lacks %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ISTIOD_XDS_EAST_B") {
		t.Errorf("envScript() names an istiod for a cluster without one:\n%s", got)
	}
	if strings.Contains(got, "PASSWORD") {
		t.Errorf("envScript() mentions a password for a registry without auth:\n%s", got)
	}
}
