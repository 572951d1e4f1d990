//go:build tools

// Package tools pins the registry CLIs that benchmarks compare against
// (internal/toolcache names "crane" and "oras").
package tools

import (
	_ "github.com/google/go-containerregistry/cmd/crane"
	_ "oras.land/oras/cmd/oras"
)
