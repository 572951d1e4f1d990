package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/aviary-cd/aviary/pkg/registry"
)

// semverPattern is the pattern semver.org gives for a semantic version 2.0.0.
var semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// CheckVersion reports whether v is a semantic version (2.0.0) without a
// leading "v" — 1.4.0, 2.0.0-rc.1 — whose VersionTag is a valid OCI tag (at
// most 128 characters): the plan is tagged with it.
func CheckVersion(v string) error {
	if semverPattern.MatchString(v) {
		if err := registry.ValidTag(VersionTag(v)); err != nil {
			return fmt.Errorf("version %s is %d characters; the plan is tagged with its version and an OCI tag holds at most 128", quote(v), len(v))
		}
		return nil
	}
	if strings.HasPrefix(v, "v") && semverPattern.MatchString(v[1:]) {
		return fmt.Errorf("version %s: drop the leading v (%s)", quote(v), v[1:])
	}
	return fmt.Errorf("version %s is not a semantic version such as 1.4.0 or 2.0.0-rc.1", quote(v))
}

// VersionTag is the OCI tag of a version: the version itself, with '+'
// (not allowed in tags) written '_' as Helm does.
func VersionTag(version string) string {
	return strings.ReplaceAll(version, "+", "_")
}

// Encode writes the plan's canonical encoding: indented JSON with fields in
// declaration order, no HTML escaping and a final newline. Equal plans encode
// to identical bytes; the plan layer's digest depends on nothing else.
func Encode(p *Plan) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encoding plan: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode reads a plan document and checks it (see Check). Unknown fields
// are ignored, so that a plan written by a newer aviary with extra fields
// stays readable.
func Decode(data []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("decoding plan: %w", err)
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &p, nil
}
