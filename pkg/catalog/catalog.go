package catalog

import "github.com/aviary-cd/aviary/pkg/step"

// All returns every step definition in pipeline order.
func All() []step.Definition {
	return []step.Definition{
		OpenRelease,
		BundlePlan,
		VerifyArtifacts,
		DeployCanary,
		ShiftWeight,
		Promote,
		Rollback,
		RebuildCluster,
	}
}

// Shared inputs, declared once so that every step spells them the same way.
var (
	planInput = step.Input{
		Name:        "plan",
		Description: "Release plan reference, by digest: registry/repo@sha256:... or oci-layout:<dir>@sha256:...",
		Required:    true,
	}
	kubeconfigInput = step.Input{
		Name:        "kubeconfig",
		Description: "Path to a kubeconfig file; empty uses KUBECONFIG or in-cluster configuration.",
	}
	contextInput = step.Input{
		Name:        "context",
		Description: "kubeconfig context to use; empty uses the current context.",
	}
	insecureInput = step.Input{
		Name:        "insecure-registry",
		Description: "Allow plain HTTP to a registry that is not on loopback.",
		Type:        step.Bool,
		Default:     "false",
	}
	registryUsernameInput = step.Input{
		Name:        "registry-username",
		Description: "Registry user name, sent only to registry-host; empty uses the Docker config (each of its entries only for its own host).",
	}
	registryHostInput = step.Input{
		Name:        "registry-host",
		Description: "The registry host[:port] that registry-username and registry-password are for; empty means the host of the plan (or of the repository bundle-plan pushes to). No other host, and no token service on another host, is sent them.",
	}
	registryPasswordInput = step.Input{
		Name:        "registry-password",
		Description: "Registry password or token.",
		Secret:      true,
	}
	requestTimeoutInput = step.Input{
		Name:        "request-timeout",
		Description: "How long one request to a registry, the Kubernetes API server, Prometheus or a git remote may wait on a silent peer (connecting, the response, any pause within it) before it is given up and retried; after a few tries the step exits 3 naming what stalled.",
		Type:        step.Duration,
		Default:     "30s",
	}
	stepTimeoutInput = step.Input{
		Name:        "step-timeout",
		Description: "How long the whole step may run; past it the step stops and exits 3. 0 means no limit.",
		Type:        step.Duration,
		Default:     "1h",
	}
)
