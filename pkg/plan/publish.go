package plan

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// TagConflictError says a version tag already names another plan. Versions
// are immutable: a release is never re-bundled under the same version with
// different contents.
type TagConflictError struct {
	Tag      string
	Existing digest.Digest // what the tag names now
	New      digest.Digest // what this bundle would have pushed
}

func (e *TagConflictError) Error() string {
	return fmt.Sprintf("version tag %s already names plan %s; this release bundles to %s. "+
		"A released version is immutable: bump the version, or bundle the same commit and config again",
		e.Tag, e.Existing, e.New)
}

// Published says what Publish did.
type Published struct {
	// Pushed is false when the tag already named this very plan, so that
	// nothing was pushed.
	Pushed bool
}

// Publish pushes the artifact to dst and tags it. When tag already names
// the same digest nothing is pushed; when it names another digest the
// result is outcome.Negative holding a *TagConflictError, and nothing is
// pushed either. Registry errors are returned unclassified.
//
// Check-then-push is not atomic: two bundle runs racing on the same version
// can both see the tag free. Pipelines serialize releases of one version.
func Publish(ctx context.Context, a *Artifact, dst oras.Target, tag string) (Published, error) {
	existing, err := dst.Resolve(ctx, tag)
	switch {
	case err == nil && existing.Digest == a.Descriptor.Digest:
		return Published{Pushed: false}, nil
	case err == nil:
		return Published{}, outcome.Negative(&TagConflictError{Tag: tag, Existing: existing.Digest, New: a.Descriptor.Digest})
	case !registry.IsNotFound(err):
		return Published{}, fmt.Errorf("resolving tag %s: %w", tag, err)
	}
	if err := a.store.Tag(ctx, a.Descriptor, tag); err != nil {
		return Published{}, err
	}
	if _, err := oras.Copy(ctx, a.store, tag, dst, tag, oras.DefaultCopyOptions); err != nil {
		return Published{}, fmt.Errorf("pushing plan %s: %w", a.Descriptor.Digest, err)
	}
	return Published{Pushed: true}, nil
}
