// Command devenv runs aviary's real local environment until interrupted:
// Kubernetes control planes with Istio's CRDs and kwok nodes, a CNCF
// Distribution registry, Prometheus scraping a synthetic Istio telemetry
// source and, with --istiod, an istiod per cluster. It writes a sourceable
// file with every address.
//
//	go run ./hack/devenv up [--clusters 3] [--istiod] [--env-file .env/devenv.sh]
//	. .env/devenv.sh && kubectl --kubeconfig "$KUBECONFIG_CLUSTER_1" get nodes
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "up" {
		fmt.Fprintln(os.Stderr, "usage: devenv up [--clusters N] [--istiod] [--env-file PATH] [--no-registry] [--no-prometheus] [--registry-tls] [--registry-auth]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("devenv up", flag.ExitOnError)
	clusters := fs.Int("clusters", 3, "number of Kubernetes clusters")
	envFile := fs.String("env-file", filepath.Join(".env", "devenv.sh"), "where to write the sourceable environment file")
	noRegistry := fs.Bool("no-registry", false, "do not start a registry")
	noPrometheus := fs.Bool("no-prometheus", false, "do not start Prometheus and the telemetry source")
	registryTLS := fs.Bool("registry-tls", false, "serve the registry over HTTPS with a generated CA")
	registryAuth := fs.Bool("registry-auth", false, "require basic authentication on the registry")
	istiod := fs.Bool("istiod", false, "start an istiod per cluster (each reading the others through remote secrets)")
	_ = fs.Parse(os.Args[2:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, devenv.Options{
		Clusters:        *clusters,
		Registry:        !*noRegistry,
		RegistryOptions: devenv.RegistryOptions{TLS: *registryTLS, Auth: *registryAuth},
		Prometheus:      !*noPrometheus,
		Istiod:          *istiod,
	}, *envFile); err != nil {
		fmt.Fprintf(os.Stderr, "devenv: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opts devenv.Options, envFile string) error {
	fmt.Fprintf(os.Stderr, "devenv: starting %d cluster(s), registry=%t, prometheus=%t, istiod=%t\n", opts.Clusters, opts.Registry, opts.Prometheus, opts.Istiod)
	env, err := devenv.Up(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "devenv: stopping")
		_ = env.Close()
		_ = os.Remove(envFile)
	}()
	if err := writeEnvFile(envFile, env); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "devenv: ready in %s; wrote %s (source it); Ctrl-C stops everything\n",
		env.Ready.Round(100*time.Millisecond), envFile)
	fmt.Fprint(os.Stderr, envScript(env))
	<-ctx.Done()
	return nil
}

func writeEnvFile(path string, env *devenv.Env) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, []byte(envScript(env)), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// envScript renders the environment as shell exports.
func envScript(env *devenv.Env) string {
	var b strings.Builder
	b.WriteString("# aviary devenv; valid while `go run ./hack/devenv up` runs\n")
	export := func(k, v string) { fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v)) }
	if r := env.Registry; r != nil {
		export("AVIARY_REGISTRY", r.Host)
		export("AVIARY_REGISTRY_URL", r.URL)
		if r.CAFile != "" {
			export("AVIARY_REGISTRY_CA_FILE", r.CAFile)
		}
		if r.Username != "" {
			export("AVIARY_REGISTRY_USERNAME", r.Username)
			export("AVIARY_REGISTRY_PASSWORD", r.Password)
			export("AVIARY_REGISTRY_DOCKER_CONFIG", r.DockerConfig)
		}
	}
	var names []string
	for i, c := range env.Clusters {
		key := "KUBECONFIG_" + envName(c.Name)
		export(key, c.Kubeconfig)
		names = append(names, c.Name)
		if i < len(env.Istiods) && env.Istiods[i] != nil {
			export("ISTIO_CLUSTER_ID_"+envName(c.Name), c.ClusterID)
			export("ISTIOD_XDS_"+envName(c.Name), env.Istiods[i].GRPCAddr)
			export("ISTIOD_DEBUG_"+envName(c.Name), env.Istiods[i].HTTPAddr)
		}
	}
	if len(env.Clusters) > 0 {
		export("AVIARY_CLUSTERS", strings.Join(names, " "))
		export("KUBECONFIG", env.Clusters[0].Kubeconfig)
	}
	if env.Prometheus != nil {
		export("PROMETHEUS_URL", env.Prometheus.URL)
	}
	if env.Telemetry != nil {
		export("TELEMETRY_URL", env.Telemetry.URL)
	}
	return b.String()
}

func envName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		default:
			return '_'
		}
	}, name)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
