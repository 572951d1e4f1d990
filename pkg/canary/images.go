package canary

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/distribution/reference"
	"golang.org/x/sync/errgroup"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// RegistryImages checks pinned images against their registries. kwok-style
// and slow-pulling clusters alike would otherwise only show a missing image
// as a Deployment that never becomes ready.
type RegistryImages struct {
	Client *registry.Client
	// Parallel bounds concurrent requests; 0 means 8.
	Parallel int
}

// Check asks each image's registry for its manifest by digest. Every
// missing image is reported at once as an Invalid *registry.NotFoundError.
func (c RegistryImages) Check(ctx context.Context, images []string) error {
	images = slices.Compact(slices.Sorted(slices.Values(images)))
	n := c.Parallel
	if n <= 0 {
		n = 8
	}
	missing := make([]bool, len(images))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for i, img := range images {
		g.Go(func() error {
			found, err := c.exists(gctx, img)
			missing[i] = !found
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var gone []string
	for i, m := range missing {
		if m {
			gone = append(gone, images[i])
		}
	}
	if len(gone) > 0 {
		sort.Strings(gone)
		return outcome.Invalid(&registry.NotFoundError{Refs: gone})
	}
	return nil
}

func (c RegistryImages) exists(ctx context.Context, image string) (bool, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return false, outcome.Invalidf("image %q: %w", image, err)
	}
	dg, ok := named.(reference.Digested)
	if !ok {
		return false, outcome.Invalidf("image %q is not pinned by digest", image)
	}
	host := reference.Domain(named)
	repo, err := c.Client.Repository(ctx, registry.Reference{Registry: host, Repository: reference.Path(named), Digest: dg.Digest()})
	if err != nil {
		return false, c.Client.Classify(err, host)
	}
	_, err = repo.Resolve(ctx, dg.Digest().String())
	switch {
	case err == nil:
		return true, nil
	case registry.IsNotFound(err):
		return false, nil
	case errors.Is(err, context.Canceled):
		return false, err
	default:
		return false, c.Client.Classify(fmt.Errorf("checking image %s: %w", image, err), host)
	}
}
