//go:build tools

// Package tools pins istiod (pilot-discovery) for internal/devenv, which runs
// it against a local control plane to check the routes aviary writes the way
// Envoy receives them. It lives apart from hack/tools because istio.io/istio
// requires k8s.io/client-go v0.36 and Istio 1.31 pre-release API modules, which
// must not move the Kubernetes v1.37 binaries or the main module.
//
// istio.io/istio has no replace directives, so this module requires it alone:
// the build list is then the one "go install
// istio.io/istio/pilot/cmd/pilot-discovery@<version>" resolves.
package tools

import _ "istio.io/istio/pilot/cmd/pilot-discovery"
