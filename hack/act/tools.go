//go:build tools

// Package tools pins nektos/act, the local GitHub Actions runner that the
// CI end-to-end tests (make e2e-ci) run examples/github/ with (internal/toolcache
// name "act").
package tools

import _ "github.com/nektos/act"
