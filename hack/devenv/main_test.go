package main

import (
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
)

func TestEnvScript(t *testing.T) {
	env := &devenv.Env{
		Registry:   &devenv.Registry{Host: "127.0.0.1:5000", URL: "http://127.0.0.1:5000"},
		Clusters:   []*devenv.Cluster{{Name: "cluster-1", Kubeconfig: "/k/one"}, {Name: "east.b", Kubeconfig: "/k/it's"}},
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
	} {
		if !strings.Contains(got, want) {
			t.Errorf("envScript() lacks %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "PASSWORD") {
		t.Errorf("envScript() mentions a password for a registry without auth:\n%s", got)
	}
}
