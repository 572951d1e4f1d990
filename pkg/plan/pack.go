package plan

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Layer titles, for people who pull a plan with oras.
const (
	planTitle      = "plan.json"
	manifestsTitle = "manifests.tar.gz"
)

// Artifact is a packed plan, held in memory until it is published: the
// plan document, the manifests bundle and the OCI image manifest joining
// them. Its Descriptor's digest is the plan's identity.
type Artifact struct {
	Plan       []byte
	Bundle     []byte
	Manifest   []byte
	Descriptor ocispec.Descriptor

	store *memory.Store
}

// Pack builds the plan's OCI 1.1 artifact. It fills p.Services[].Manifests
// from files (the paths under each service's name) and sets APIVersion and
// Kind. Equal plans and files give a byte-identical artifact: the
// creation time is the source commit's time.
//
// Pack then reads the artifact back with the check Read makes, under the
// default Limits, and refuses (outcome.Invalid) a plan that a later step
// would refuse to read: a plan that is published can be deployed.
func Pack(ctx context.Context, p *Plan, files map[string][]byte) (*Artifact, error) {
	p.APIVersion, p.Kind = APIVersion, Kind
	p.Source.Time = p.Source.Time.UTC().Truncate(time.Second)
	byService := map[string][]string{}
	for path := range files {
		if err := checkBundlePath(path); err != nil {
			return nil, outcome.Invalidf("packing plan: %w", err)
		}
		svc, _, _ := cutService(path)
		byService[svc] = append(byService[svc], path)
	}
	for i := range p.Services {
		s := &p.Services[i]
		s.Manifests = byService[s.Name]
		sort.Strings(s.Manifests)
		if s.Manifests == nil {
			s.Manifests = []string{}
		}
		delete(byService, s.Name)
	}
	for svc := range byService {
		return nil, outcome.Invalidf("packing plan: manifests for %q, which is not a service of the plan", svc)
	}
	if err := p.Check(); err != nil {
		return nil, outcome.Invalidf("packing plan: %w", err)
	}

	doc, err := Encode(p)
	if err != nil {
		return nil, err
	}
	bundle, err := WriteBundle(files)
	if err != nil {
		return nil, err
	}
	store := memory.New()
	planDesc, err := pushBlob(ctx, store, PlanMediaType, planTitle, doc)
	if err != nil {
		return nil, err
	}
	bundleDesc, err := pushBlob(ctx, store, ManifestsMediaType, manifestsTitle, bundle)
	if err != nil {
		return nil, err
	}
	annotations := map[string]string{
		ocispec.AnnotationCreated:  p.Source.Time.Format(time.RFC3339),
		ocispec.AnnotationVersion:  p.Version,
		ocispec.AnnotationRevision: p.Source.Commit,
		ocispec.AnnotationTitle:    p.Config.Product,
	}
	if p.Source.Repository != "" {
		annotations[ocispec.AnnotationSource] = p.Source.Repository
	}
	desc, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, ArtifactType, oras.PackManifestOptions{
		Layers:              []ocispec.Descriptor{planDesc, bundleDesc},
		ManifestAnnotations: annotations,
	})
	if err != nil {
		return nil, fmt.Errorf("packing plan manifest: %w", err)
	}
	manifest, err := content.FetchAll(ctx, store, desc)
	if err != nil {
		return nil, err
	}
	asIs := func(err error) error { return err }
	if _, _, err := load(ctx, store, desc, Limits{}.withDefaults(), "plan "+desc.Digest.String(), asIs); err != nil {
		return nil, fmt.Errorf("packing plan: later steps would refuse to read it: %w", err)
	}
	return &Artifact{Plan: doc, Bundle: bundle, Manifest: manifest, Descriptor: desc, store: store}, nil
}

func pushBlob(ctx context.Context, store *memory.Store, mediaType, title string, data []byte) (ocispec.Descriptor, error) {
	desc := ocispec.Descriptor{
		MediaType:   mediaType,
		Digest:      digest.FromBytes(data),
		Size:        int64(len(data)),
		Annotations: map[string]string{ocispec.AnnotationTitle: title},
	}
	if err := store.Push(ctx, desc, bytes.NewReader(data)); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("packing %s: %w", title, err)
	}
	return desc, nil
}

func cutService(path string) (service, file string, ok bool) {
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			return path[:i], path[i+1:], true
		}
	}
	return path, "", false
}
