package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Image is an image tag resolved to its digest.
type Image struct {
	// Ref is the image as asked for, normalized: docker.io/library/nginx:1.27.
	Ref string
	// Repository is the normalized repository: docker.io/library/nginx.
	Repository string
	Tag        string
	Digest     digest.Digest
	// MediaType is the manifest's (an image or an index).
	MediaType string
}

// Pinned is the image by digest: repository@sha256:...
func (i Image) Pinned() string { return i.Repository + "@" + i.Digest.String() }

// NotFoundError lists every image that does not exist, so that a user fixes
// them all in one go.
type NotFoundError struct {
	Refs []string
}

func (e *NotFoundError) Error() string {
	if len(e.Refs) == 1 {
		return fmt.Sprintf("image %s not found", e.Refs[0])
	}
	return fmt.Sprintf("%d images not found:\n  %s", len(e.Refs), strings.Join(e.Refs, "\n  "))
}

// NormalizeImage parses an image reference with a tag (or none, then tag is
// used) the way docker does: nginx:1 is docker.io/library/nginx:1.
func NormalizeImage(image, tag string) (repository, withTag string, err error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", "", outcome.Invalidf("image %q: %w", image, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return "", "", outcome.Invalidf("image %q already names a digest", image)
	}
	if t, ok := named.(reference.Tagged); ok {
		tag = t.Tag()
	}
	if err := ValidTag(tag); err != nil {
		return "", "", outcome.Invalidf("image %q: %w", image, err)
	}
	repository = named.Name()
	return repository, repository + ":" + tag, nil
}

// maxReported bounds how many failures of one kind ResolveImages spells out.
const maxReported = 3

// ResolveImages resolves image references with tags (registry/repo:tag, as
// NormalizeImage returns them) to digests, at most concurrency at a time.
// The result is in the order of refs; a ref given twice is resolved once.
//
// Every missing image is reported at once as outcome.Invalid holding a
// *NotFoundError. Other failures are outcome.External (see Classify).
func (c *Client) ResolveImages(ctx context.Context, refs []string, concurrency int) ([]Image, error) {
	if concurrency < 1 {
		concurrency = 1
	}
	unique := map[string]int{}
	var order []string
	for _, r := range refs {
		if _, ok := unique[r]; !ok {
			unique[r] = len(order)
			order = append(order, r)
		}
	}
	results := make([]Image, len(order))
	errs := make([]error, len(order))

	// Every image is tried and every failure kept, so the group is not
	// cancelled by the first one.
	var g errgroup.Group
	g.SetLimit(concurrency)
	for i, r := range order {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		g.Go(func() error {
			results[i], errs[i] = c.resolveImage(ctx, r)
			return nil
		})
	}
	_ = g.Wait() // the goroutines return nil; their errors are in errs

	var missing []string
	var failed []error
	for i, err := range errs {
		switch {
		case err == nil:
		case IsNotFound(err):
			missing = append(missing, order[i])
		default:
			failed = append(failed, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(failed) > 0 {
		if len(failed) > maxReported {
			more := fmt.Errorf("... and %d more failures", len(failed)-maxReported)
			failed = append(failed[:maxReported:maxReported], more)
		}
		return nil, outcome.External(errors.Join(failed...))
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, outcome.Invalid(&NotFoundError{Refs: missing})
	}
	out := make([]Image, len(refs))
	for i, r := range refs {
		out[i] = results[unique[r]]
	}
	return out, nil
}

func (c *Client) resolveImage(ctx context.Context, image string) (Image, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return Image{}, outcome.Invalidf("image %q: %w", image, err)
	}
	tagged, ok := named.(reference.Tagged)
	if !ok {
		return Image{}, outcome.Invalidf("image %q has no tag", image)
	}
	ref := Reference{Registry: reference.Domain(named), Repository: reference.Path(named), Tag: tagged.Tag()}
	repo, err := c.Repository(ctx, ref)
	if err != nil {
		return Image{}, err
	}
	desc, err := repo.Resolve(ctx, tagged.Tag())
	if err != nil {
		if IsNotFound(err) {
			return Image{}, err
		}
		return Image{}, c.Classify(fmt.Errorf("resolving image %s: %w", image, err), ref.Registry)
	}
	return Image{
		Ref:        named.Name() + ":" + tagged.Tag(),
		Repository: named.Name(),
		Tag:        tagged.Tag(),
		Digest:     desc.Digest,
		MediaType:  desc.MediaType,
	}, nil
}
