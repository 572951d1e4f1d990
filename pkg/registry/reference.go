package registry

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/opencontainers/go-digest"
	orasregistry "oras.land/oras-go/v2/registry"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// LayoutPrefix marks a reference to a local OCI image layout directory.
const LayoutPrefix = "oci-layout:"

var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// Reference names an artifact in a registry repository
// (registry.example/team/plans:1.2.0, ...@sha256:...) or in a local OCI image
// layout (oci-layout:<dir>, oci-layout:<dir>:1.2.0, oci-layout:<dir>@sha256:...).
// Tag and Digest may both be empty (a repository), and when both are given
// the digest wins.
type Reference struct {
	// Layout is the layout directory; empty for a registry reference.
	Layout string
	// Registry is host[:port]; empty for a layout.
	Registry string
	// Repository is the repository path within the registry.
	Repository string
	Tag        string
	Digest     digest.Digest
}

// ParseReference parses a registry or layout reference. A malformed
// reference is outcome.Invalid.
func ParseReference(s string) (Reference, error) {
	if rest, ok := strings.CutPrefix(s, LayoutPrefix); ok {
		return parseLayout(s, rest)
	}
	r, err := orasregistry.ParseReference(s)
	if err != nil {
		return Reference{}, outcome.Invalidf("reference %q: %w; give registry/repository[:tag|@sha256:...] or %s<dir>", s, err, LayoutPrefix)
	}
	ref := Reference{Registry: r.Registry, Repository: r.Repository}
	if d, err := r.Digest(); err == nil {
		ref.Digest = d
	} else if r.Reference != "" {
		ref.Tag = r.Reference
	}
	return ref, nil
}

func parseLayout(s, rest string) (Reference, error) {
	var ref Reference
	if dir, dgst, ok := strings.Cut(rest, "@"); ok {
		d, err := digest.Parse(dgst)
		if err != nil {
			return Reference{}, outcome.Invalidf("reference %q: invalid digest %q: %w", s, dgst, err)
		}
		ref.Digest = d
		rest = dir
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "/") && tagPattern.MatchString(rest[i+1:]) {
		if ref.Digest == "" {
			ref.Tag = rest[i+1:]
		}
		rest = rest[:i]
	}
	if rest == "" {
		return Reference{}, outcome.Invalidf("reference %q names no directory; give %s<dir>", s, LayoutPrefix)
	}
	ref.Layout = rest
	return ref, nil
}

// IsLayout reports whether r names a local OCI image layout.
func (r Reference) IsLayout() bool { return r.Layout != "" }

// Repo is the reference without tag or digest: registry/repository or
// oci-layout:<dir>.
func (r Reference) Repo() string {
	if r.IsLayout() {
		return LayoutPrefix + r.Layout
	}
	return r.Registry + "/" + r.Repository
}

// String formats the reference; with a digest it names only the digest.
func (r Reference) String() string {
	switch {
	case r.Digest != "":
		return r.Repo() + "@" + r.Digest.String()
	case r.Tag != "":
		return r.Repo() + ":" + r.Tag
	}
	return r.Repo()
}

// WithDigest returns the reference to digest d in the same repository.
func (r Reference) WithDigest(d digest.Digest) Reference {
	r.Tag, r.Digest = "", d
	return r
}

// WithTag returns the reference to tag in the same repository.
func (r Reference) WithTag(tag string) Reference {
	r.Tag, r.Digest = tag, ""
	return r
}

// Ref is what to resolve within the repository: the digest, else the tag.
func (r Reference) Ref() string {
	if r.Digest != "" {
		return r.Digest.String()
	}
	return r.Tag
}

// ValidTag reports whether tag is a valid OCI tag.
func ValidTag(tag string) error {
	if !tagPattern.MatchString(tag) {
		return fmt.Errorf("%q is not a valid tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag)
	}
	return nil
}
