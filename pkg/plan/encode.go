package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/opencontainers/go-digest"
)

// semverPattern is the pattern semver.org gives for a semantic version 2.0.0.
var semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// CheckVersion reports whether v is a semantic version (2.0.0) without a
// leading "v": 1.4.0, 2.0.0-rc.1.
func CheckVersion(v string) error {
	if semverPattern.MatchString(v) {
		return nil
	}
	if strings.HasPrefix(v, "v") && semverPattern.MatchString(v[1:]) {
		return fmt.Errorf("version %q: drop the leading v (%s)", v, v[1:])
	}
	return fmt.Errorf("version %q is not a semantic version such as 1.4.0 or 2.0.0-rc.1", v)
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

// Check verifies what every reader relies on: the document is a v1 release
// plan, the version is semantic, every service has a name and an image
// pinned by a valid digest.
func (p *Plan) Check() error {
	if p.APIVersion != APIVersion || p.Kind != Kind {
		return fmt.Errorf("not a release plan: apiVersion %q, kind %q; want %s %s", p.APIVersion, p.Kind, APIVersion, Kind)
	}
	if err := CheckVersion(p.Version); err != nil {
		return err
	}
	if p.Source.Commit == "" {
		return fmt.Errorf("plan has no source commit")
	}
	if len(p.Services) == 0 {
		return fmt.Errorf("plan has no services")
	}
	seen := map[string]bool{}
	for i, s := range p.Services {
		if s.Name == "" {
			return fmt.Errorf("services[%d] has no name", i)
		}
		if seen[s.Name] {
			return fmt.Errorf("services[%d]: duplicate service %q", i, s.Name)
		}
		seen[s.Name] = true
		repo, dgst, ok := strings.Cut(s.Image, "@")
		if !ok || repo == "" {
			return fmt.Errorf("service %q: image %q is not pinned by digest", s.Name, s.Image)
		}
		if _, err := digest.Parse(dgst); err != nil {
			return fmt.Errorf("service %q: image %q: %w", s.Name, s.Image, err)
		}
		for _, m := range s.Manifests {
			if !strings.HasPrefix(m, s.Name+"/") {
				return fmt.Errorf("service %q: manifest %q is outside %s/", s.Name, m, s.Name)
			}
		}
	}
	return nil
}
