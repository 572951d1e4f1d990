package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// ReadOptions says how Read fetches a plan. The zero value reads by digest
// only, with the default Limits and the secure registry defaults.
type ReadOptions struct {
	// Registry says how to reach the registry (credentials, insecure,
	// retries). Ignored when Client is set.
	Registry registry.Options
	// Client, if set, is used instead of a client made from Registry, so
	// that a step shares one client (connections, tokens) between reads.
	Client *registry.Client
	// AllowTag lets ref name a tag. The tag is resolved once; OnResolve is
	// told the digest, and Loaded.Ref names the digest from then on.
	// Without it a tag reference is outcome.Invalid.
	AllowTag bool
	// OnResolve, if set, is called when a tag was resolved to a digest.
	OnResolve func(tagRef, digestRef string)
	// Limits bounds what is fetched and unpacked; zero fields take defaults.
	Limits Limits
}

// Limits bounds the sizes Read accepts. Zero fields take the defaults
// (the Default...Limit constants).
type Limits struct {
	// Manifest is the largest OCI manifest accepted; default 4 MiB.
	Manifest int64
	// Plan is the largest plan document accepted; default 16 MiB.
	Plan int64
	// Bundle is the largest compressed manifests layer accepted; default 64 MiB.
	Bundle int64
	// BundleUnpacked is the largest total size of the unpacked manifests;
	// default 256 MiB.
	BundleUnpacked int64
	// BundleFiles is the largest number of files in the manifests layer;
	// default 10000.
	BundleFiles int
}

// Loaded is a plan read from a registry or an OCI layout, verified.
type Loaded struct {
	// Ref is the plan's reference by digest: repo@sha256:... or
	// oci-layout:<dir>@sha256:...
	Ref string
	// Digest is the plan's OCI manifest digest.
	Digest digest.Digest
	// Plan is the decoded plan document.
	Plan *Plan
	// Manifests are the files of the manifests layer by path <service>/<file>.
	Manifests map[string][]byte
}

// Read fetches the plan at ref (registry/repo@sha256:... or
// oci-layout:<dir>@sha256:...), verifies the digest and size of every blob
// against its descriptor, checks the plan document and unpacks the manifests
// bundle safely into memory.
//
// Errors: a malformed reference, a tag without AllowTag, or a plan that does
// not exist or is not a valid plan is outcome.Invalid; a registry that fails
// (after retries) or refuses the credentials is outcome.External.
func Read(ctx context.Context, ref string, opts ReadOptions) (*Loaded, error) {
	limits := opts.Limits.withDefaults()
	r, err := registry.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	if err := checkReadRef(r, opts.AllowTag); err != nil {
		return nil, err
	}
	client := opts.Client
	if client == nil {
		client = registry.New(opts.Registry)
	}
	where := r.Registry
	if r.IsLayout() {
		where = r.Layout
	}
	target, err := client.Target(ctx, r, false)
	if err != nil {
		return nil, err
	}
	fail := func(err error) error {
		if registry.IsNotFound(err) {
			return outcome.Invalidf("plan %s not found: %w", r, err)
		}
		return client.Classify(err, where)
	}

	if r.Digest == "" {
		desc, err := target.Resolve(ctx, r.Tag)
		if err != nil {
			return nil, fail(fmt.Errorf("resolving plan tag %s: %w", r, err))
		}
		pinned := r.WithDigest(desc.Digest)
		if opts.OnResolve != nil {
			opts.OnResolve(r.String(), pinned.String())
		}
		r = pinned
	}

	mdesc, err := target.Resolve(ctx, r.Digest.String())
	if err != nil {
		return nil, fail(fmt.Errorf("resolving plan %s: %w", r, err))
	}
	if mdesc.Digest != r.Digest {
		return nil, outcome.Externalf("registry %s answered %s for plan %s", where, mdesc.Digest, r)
	}
	p, files, err := load(ctx, target, mdesc, limits, r.String(), fail)
	if err != nil {
		return nil, err
	}
	return &Loaded{Ref: r.String(), Digest: r.Digest, Plan: p, Manifests: files}, nil
}

// load fetches what the plan manifest mdesc names from target and checks
// all of it: the manifest, the plan document (Check) and the manifests
// bundle (ReadBundle), each within limits, and that every manifest the plan
// lists is in the bundle. It is the one check of a plan, shared by Read and
// by Pack, so that bundle-plan cannot publish a plan a reader refuses. name
// prefixes the messages; fail classifies fetch errors. What is wrong with
// the plan itself is outcome.Invalid.
func load(ctx context.Context, target oras.ReadOnlyTarget, mdesc ocispec.Descriptor, limits Limits, name string, fail func(error) error) (*Plan, map[string][]byte, error) {
	raw, err := fetch(ctx, target, mdesc, limits.Manifest, "plan manifest")
	if err != nil {
		return nil, nil, fail(err)
	}
	planDesc, bundleDesc, err := parseManifest(raw)
	if err != nil {
		return nil, nil, outcome.Invalidf("%s: %w", name, err)
	}
	doc, err := fetch(ctx, target, planDesc, limits.Plan, "plan document")
	if err != nil {
		return nil, nil, fail(err)
	}
	p, err := Decode(doc)
	if err != nil {
		return nil, nil, outcome.Invalidf("%s: %w", name, err)
	}
	bundle, err := fetch(ctx, target, bundleDesc, limits.Bundle, "manifests bundle")
	if err != nil {
		return nil, nil, fail(err)
	}
	files, err := ReadBundle(bytes.NewReader(bundle), limits)
	if err != nil {
		return nil, nil, outcome.Invalidf("%s: %w", name, err)
	}
	for _, s := range p.Services {
		for _, m := range s.Manifests {
			if _, ok := files[m]; !ok {
				return nil, nil, outcome.Invalidf("%s: service %q lists manifest %q, which the bundle lacks", name, s.Name, m)
			}
		}
	}
	return p, files, nil
}

// checkReadRef applies the digest-only rule.
func checkReadRef(r registry.Reference, allowTag bool) error {
	switch {
	case r.Digest != "":
		if err := r.Digest.Validate(); err != nil {
			return outcome.Invalidf("plan reference %s: %w", r, err)
		}
		return nil
	case r.Tag == "":
		return outcome.Invalidf("plan reference %s names no plan: give %s@sha256:<digest> (bundle-plan's plan-ref output)", r, r.Repo())
	case !allowTag:
		return outcome.Invalidf("plan reference %s names a tag, which can move: give the digest, %s@sha256:<digest> (bundle-plan's plan-ref output)", r, r.Repo())
	}
	return nil
}

// fetch reads one blob or manifest after checking its declared size against
// limit; content.ReadAll verifies the size and digest of what arrives.
func fetch(ctx context.Context, target oras.ReadOnlyTarget, desc ocispec.Descriptor, limit int64, what string) ([]byte, error) {
	if desc.Size < 0 || desc.Size > limit {
		return nil, outcome.Invalidf("%s %s is %d bytes, over the limit of %d", what, desc.Digest, desc.Size, limit)
	}
	if err := desc.Digest.Validate(); err != nil {
		return nil, outcome.Invalidf("%s: %w", what, err)
	}
	rc, err := target.Fetch(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("fetching %s %s: %w", what, desc.Digest, err)
	}
	defer rc.Close()
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		return nil, outcome.Externalf("reading %s %s: %w", what, desc.Digest, err)
	}
	return data, nil
}

// parseManifest checks the OCI manifest is a release plan and returns its
// plan and manifests layers. Unknown further layers are ignored.
func parseManifest(raw []byte) (planDesc, bundleDesc ocispec.Descriptor, err error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return planDesc, bundleDesc, fmt.Errorf("decoding plan manifest: %w", err)
	}
	if m.MediaType != ocispec.MediaTypeImageManifest {
		return planDesc, bundleDesc, fmt.Errorf("not a release plan: manifest media type %q", m.MediaType)
	}
	if m.ArtifactType != ArtifactType {
		return planDesc, bundleDesc, fmt.Errorf("not a release plan: artifact type %q, want %s", m.ArtifactType, ArtifactType)
	}
	var havePlan, haveBundle bool
	for _, l := range m.Layers {
		switch l.MediaType {
		case PlanMediaType:
			if havePlan {
				return planDesc, bundleDesc, fmt.Errorf("plan manifest has two plan layers")
			}
			planDesc, havePlan = l, true
		case ManifestsMediaType:
			if haveBundle {
				return planDesc, bundleDesc, fmt.Errorf("plan manifest has two manifests layers")
			}
			bundleDesc, haveBundle = l, true
		}
	}
	if !havePlan || !haveBundle {
		return planDesc, bundleDesc, fmt.Errorf("plan manifest lacks its %s or %s layer", PlanMediaType, ManifestsMediaType)
	}
	return planDesc, bundleDesc, nil
}
