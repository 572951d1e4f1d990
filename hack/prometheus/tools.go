//go:build tools

// Package tools pins the Prometheus server that internal/devenv builds when
// no prometheus binary is installed (internal/toolcache name "prometheus").
package tools

import _ "github.com/prometheus/prometheus/cmd/prometheus"
