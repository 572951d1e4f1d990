//go:build tools

// Package tools pins the Kubernetes control-plane binaries, kubectl and kwok that
// internal/devenv runs in tests. internal/toolcache builds them from this
// module on first use and caches the binaries.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
