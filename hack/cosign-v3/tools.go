//go:build tools

// Package tools pins the cosign v3 CLI for tests that sign and verify with
// the real tool (internal/toolcache name "cosign-v3").
package tools

import _ "github.com/sigstore/cosign/v3/cmd/cosign"
