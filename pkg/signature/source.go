package signature

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	orasregistry "oras.land/oras-go/v2/registry"

	"github.com/aviary-cd/aviary/pkg/registry"
)

// Bounds on what is read for one artifact, so that a hostile registry
// cannot make verification read without end.
const (
	maxManifest   = 4 << 20
	maxBlob       = 32 << 20
	maxLayers     = 64
	maxReferrers  = 256
	maxCandidates = 256
)

// source is a repository (or layout) to read signatures from.
type source interface {
	oras.ReadOnlyTarget
	content.PredecessorFinder
}

// sources opens and caches one source per repository, so that tokens and
// the registry's referrers-API capability are learned once.
type sources struct {
	client *registry.Client
	mu     sync.Mutex
	open   map[string]source
}

func newSources(c *registry.Client) *sources {
	return &sources{client: c, open: map[string]source{}}
}

func (s *sources) get(ctx context.Context, ref registry.Reference) (source, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if src, ok := s.open[ref.Repo()]; ok {
		return src, nil
	}
	t, err := s.client.Target(ctx, ref, false)
	if err != nil {
		return nil, err
	}
	src, ok := t.(source)
	if !ok {
		return nil, fmt.Errorf("%s cannot list referrers", ref.Repo())
	}
	s.open[ref.Repo()] = src
	return src, nil
}

// host names where ref lives, for error messages.
func host(ref registry.Reference) string {
	if ref.IsLayout() {
		return ref.Layout
	}
	return ref.Registry
}

// cosignTag is cosign v2's tag for the signatures ("sig") or attestations
// ("att") of d: sha256-<hex>.sig.
func cosignTag(d digest.Digest, suffix string) string {
	return d.Algorithm().String() + "-" + d.Encoded() + "." + suffix
}

// fetchManifest reads the image manifest a tag points to; found is false
// when the tag does not exist.
func fetchManifest(ctx context.Context, src source, tag string) (m ocispec.Manifest, found bool, err error) {
	var data []byte
	if rf, ok := src.(orasregistry.ReferenceFetcher); ok {
		desc, rc, err := rf.FetchReference(ctx, tag)
		if registry.IsNotFound(err) {
			return m, false, nil
		}
		if err != nil {
			return m, false, err
		}
		defer rc.Close()
		if desc.Size > maxManifest {
			return m, true, fmt.Errorf("manifest %s is %d bytes, more than the %d accepted", tag, desc.Size, maxManifest)
		}
		if data, err = content.ReadAll(rc, desc); err != nil {
			return m, true, err
		}
	} else {
		desc, err := src.Resolve(ctx, tag)
		if registry.IsNotFound(err) {
			return m, false, nil
		}
		if err != nil {
			return m, false, err
		}
		if data, err = fetchLimited(ctx, src, desc, maxManifest); err != nil {
			return m, true, err
		}
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, true, errMalformed{fmt.Errorf("reading manifest %s: %w", tag, err)}
	}
	return m, true, nil
}

// errMalformed marks content that was read but makes no sense; it spoils
// one candidate, not the verification.
type errMalformed struct{ error }

func (e errMalformed) Unwrap() error { return e.error }

func fetchLimited(ctx context.Context, src source, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit || desc.Size < 0 {
		return nil, errMalformed{fmt.Errorf("%s is %d bytes, more than the %d accepted", desc.Digest, desc.Size, limit)}
	}
	return content.FetchAll(ctx, src, desc)
}

// knownPayload returns the simple-signing payload that layer l holds when
// it is the one cosign writes for digest d in repo (no optional
// annotations), without asking the registry: the layer is content
// addressed, so bytes whose digest and size are the layer's are its content,
// exactly what a fetch would return after checking the digest. nil when
// the layer holds anything else, which must then be fetched. A signature
// image holds one such small layer per signature, and its blob request is
// most of what a registry spends on a verification.
func knownPayload(repo string, d digest.Digest, l ocispec.Descriptor) []byte {
	if l.MediaType != SimpleSigningMediaType || l.Digest.Validate() != nil {
		return nil
	}
	payload, err := simpleSigningPayload(repo, d)
	if err != nil || int64(len(payload)) != l.Size || l.Digest.Algorithm().FromBytes(payload) != l.Digest {
		return nil
	}
	return payload
}

// found is what one artifact has stored beside it.
type found struct {
	candidates []candidate
	// malformed lists what was found but could not be read.
	malformed []string
}

// cosignCandidates reads cosign v2 signatures ("sig", simple signing) or
// attestations ("att", DSSE) of d, stored in repository repo.
func cosignCandidates(ctx context.Context, src source, repo string, d digest.Digest, suffix string, into *found) error {
	tag := cosignTag(d, suffix)
	m, ok, err := fetchManifest(ctx, src, tag)
	var mal errMalformed
	switch {
	case errors.As(err, &mal):
		into.malformed = append(into.malformed, mal.Error())
		return nil
	case err != nil:
		return err
	case !ok:
		return nil
	}
	want := SimpleSigningMediaType
	if suffix == "att" {
		want = DSSEMediaType
	}
	for i, l := range m.Layers {
		if i == maxLayers {
			into.malformed = append(into.malformed, fmt.Sprintf("tag %s has more than %d layers; the rest were not read", tag, maxLayers))
			break
		}
		where := fmt.Sprintf("tag %s layer %d", tag, i)
		if l.MediaType != want {
			into.malformed = append(into.malformed, fmt.Sprintf("%s has media type %q, not %q", where, l.MediaType, want))
			continue
		}
		blob := knownPayload(repo, d, l)
		if blob == nil {
			if blob, err = fetchLimited(ctx, src, l, maxBlob); errors.As(err, &mal) {
				into.malformed = append(into.malformed, where+": "+mal.Error())
				continue
			}
			if err != nil {
				return err
			}
		}
		c, err := parseLegacy(where, l.MediaType, l.Annotations, blob)
		if err != nil {
			into.malformed = append(into.malformed, where+": "+err.Error())
			continue
		}
		into.candidates = append(into.candidates, c)
	}
	return nil
}

// bundleCandidates reads the Sigstore bundles attached to subject as
// referrers. wantPredicates, when not empty, skips referrers whose
// predicate-type annotation names none of them (the hint saves fetches; the
// signed statement is checked regardless).
func bundleCandidates(ctx context.Context, src source, subject ocispec.Descriptor, wantPredicates []string, into *found) error {
	refs, err := orasregistry.Referrers(ctx, src, subject, "")
	if err != nil {
		return err
	}
	n := 0
	for _, r := range refs {
		if !strings.HasPrefix(r.ArtifactType, bundleMediaTypePrefix) {
			continue
		}
		if pt := r.Annotations[AnnotationBundlePredicateType]; pt != "" && len(wantPredicates) > 0 && !contains(wantPredicates, pt) {
			continue
		}
		if n++; n > maxReferrers {
			into.malformed = append(into.malformed, fmt.Sprintf("more than %d bundle referrers; the rest were not read", maxReferrers))
			break
		}
		where := "referrer " + r.Digest.String()
		data, err := fetchLimited(ctx, src, r, maxManifest)
		var mal errMalformed
		if errors.As(err, &mal) {
			into.malformed = append(into.malformed, where+": "+mal.Error())
			continue
		}
		if err != nil {
			return err
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			into.malformed = append(into.malformed, where+": "+err.Error())
			continue
		}
		for _, l := range m.Layers {
			if !strings.HasPrefix(l.MediaType, bundleMediaTypePrefix) {
				continue
			}
			blob, err := fetchLimited(ctx, src, l, maxBlob)
			if errors.As(err, &mal) {
				into.malformed = append(into.malformed, where+": "+mal.Error())
				continue
			}
			if err != nil {
				return err
			}
			c, err := parseBundle(where, blob)
			if err != nil {
				into.malformed = append(into.malformed, where+": "+err.Error())
				continue
			}
			into.candidates = append(into.candidates, c)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
