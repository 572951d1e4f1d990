//go:build tools

// Package tools pins the cosign v2 CLI for tests that sign and verify with
// the real tool (internal/toolcache name "cosign-v2").
package tools

import _ "github.com/sigstore/cosign/v2/cmd/cosign"
