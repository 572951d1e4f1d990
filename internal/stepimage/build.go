package stepimage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Platform is an OS and architecture a step is built for.
type Platform struct {
	OS, Arch string
}

// String is os/arch, as in docker's --platform.
func (p Platform) String() string { return p.OS + "/" + p.Arch }

// DefaultPlatforms are the platforms of a release.
var DefaultPlatforms = []Platform{{"linux", "amd64"}, {"linux", "arm64"}}

// Variant says what a step image runs as and carries besides the binary.
type Variant string

// The variants; see the package documentation.
const (
	Nonroot Variant = ""
	Root    Variant = "root"
	Debug   Variant = "debug"
)

// Variants are every variant, in build order.
var Variants = []Variant{Nonroot, Root, Debug}

// ParseVariant returns the variant called s ("nonroot" or "" is Nonroot).
func ParseVariant(s string) (Variant, error) {
	switch s {
	case "", "nonroot":
		return Nonroot, nil
	case string(Root), string(Debug):
		return Variant(s), nil
	}
	return "", fmt.Errorf("unknown variant %q (nonroot, root or debug)", s)
}

// Tag is the image tag of this variant for a release tag: "v1.2.0",
// "v1.2.0-root", "v1.2.0-debug".
func (v Variant) Tag(tag string) string {
	if v == Nonroot {
		return tag
	}
	return tag + "-" + string(v)
}

// User is the image config's user.
func (v Variant) User() string {
	if v == Root {
		return "0:0"
	}
	return nonrootUser
}

// Home is the home directory of the variant's user, its working directory.
func (v Variant) Home() string {
	if v == Root {
		return "/root"
	}
	return "/home/nonroot"
}

func (v Variant) String() string {
	if v == Nonroot {
		return "nonroot"
	}
	return string(v)
}

const (
	nonrootUID  = 65532
	nonrootUser = "65532:65532"
)

// Options configure a build. The zero value of every field but Root has a
// documented default.
type Options struct {
	// Root is the repository root; the steps are built from Root/steps/<step>.
	Root string
	// Steps to build; default: every step of the catalog (hack/images passes
	// them).
	Steps []string
	// Platforms to build for; default DefaultPlatforms.
	Platforms []Platform
	// Variants to build; default Variants.
	Variants []Variant
	// Busybox holds, by platform (os/arch), the static busybox binary the
	// debug variant carries. Required when Variants holds Debug.
	Busybox map[string]string
	// BusyboxVersion is the busybox package version, recorded in the SBOM
	// and the provenance.
	BusyboxVersion string
	// Version is the release version written into the
	// org.opencontainers.image.version label; empty leaves it out.
	Version string
	// Epoch dates every file and the image configs; default the Unix epoch.
	Epoch time.Time
	// Source says where the build came from, for the provenance.
	Source Source
	// Builder identifies who ran the build, for the provenance; default
	// "local".
	Builder string
	// InvocationID identifies this run of the builder (a CI run URL);
	// default none.
	InvocationID string
	// Log receives the go build output; default os.Stderr.
	Log io.Writer
}

// Source is the source repository of a build.
type Source struct {
	// Repository is the repository URL, e.g. https://github.com/aviary-cd/aviary.
	Repository string
	// Revision is the full commit hash; empty when unknown.
	Revision string
	// Ref is the git ref built, e.g. refs/tags/v1.2.0; empty when unknown.
	Ref string
}

// DefaultSourceRepository is the repository the images are labelled with.
const DefaultSourceRepository = "https://github.com/aviary-cd/aviary"

func (o Options) withDefaults() Options {
	if len(o.Platforms) == 0 {
		o.Platforms = DefaultPlatforms
	}
	if len(o.Variants) == 0 {
		o.Variants = Variants
	}
	if o.Epoch.IsZero() {
		o.Epoch = time.Unix(0, 0)
	}
	o.Epoch = o.Epoch.UTC()
	if o.Builder == "" {
		o.Builder = "local"
	}
	if o.Source.Repository == "" {
		o.Source.Repository = DefaultSourceRepository
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	return o
}

// Image is one built step image: an index over the platforms.
type Image struct {
	Step    string
	Variant Variant
	Index   v1.ImageIndex
	Digest  v1.Hash
	// Platforms are the index's images, in Options.Platforms order.
	Platforms []PlatformImage
	// SBOM is a CycloneDX JSON document of everything in the image.
	SBOM []byte
	// Provenance is an in-toto statement (SLSA provenance v1) whose subjects
	// are the index and its images; ProvenancePredicate is its predicate
	// alone, as `cosign attest --predicate` takes it.
	Provenance, ProvenancePredicate []byte
}

// PlatformImage is one platform's image of an index.
type PlatformImage struct {
	Platform Platform
	Image    v1.Image
	Digest   v1.Hash
	// Compressed is the sum of the compressed layer sizes plus the config
	// and manifest: what a pull transfers.
	Compressed int64
	Binary     *Binary
}

// Build compiles the steps for every platform and assembles every variant
// of every step's image, with its SBOM and provenance.
func Build(ctx context.Context, opts Options) ([]*Image, error) {
	opts = opts.withDefaults()
	if opts.Root == "" {
		return nil, errors.New("building step images: no repository root")
	}
	if len(opts.Steps) == 0 {
		return nil, errors.New("building step images: no steps")
	}
	scratch, err := os.MkdirTemp("", "aviary-stepimage-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)

	bins := map[string]map[Platform]*Binary{} // step → platform → binary
	for _, p := range opts.Platforms {
		dir := filepath.Join(scratch, p.OS+"-"+p.Arch)
		built, err := compile(ctx, opts.Root, dir, p, opts.Steps, opts.Log)
		if err != nil {
			return nil, err
		}
		for step, b := range built {
			if bins[step] == nil {
				bins[step] = map[Platform]*Binary{}
			}
			bins[step][p] = b
		}
	}

	var busybox map[Platform]*busyboxFiles
	if hasVariant(opts.Variants, Debug) {
		if busybox, err = loadBusybox(opts.Busybox, opts.Platforms); err != nil {
			return nil, err
		}
	}
	roots, err := caBundle()
	if err != nil {
		return nil, err
	}

	var out []*Image
	for _, step := range opts.Steps {
		// One step layer per platform, shared by the variants.
		layers := map[Platform]v1.Layer{}
		for _, p := range opts.Platforms {
			b := bins[step][p]
			if b == nil {
				return nil, fmt.Errorf("no %s binary of %s", p, step)
			}
			if layers[p], err = stepLayer(step, b.Path, roots, opts.Epoch); err != nil {
				return nil, fmt.Errorf("assembling %s: %w", step, err)
			}
		}
		for _, v := range opts.Variants {
			img, err := assemble(step, v, bins[step], layers, busybox, opts)
			if err != nil {
				return nil, fmt.Errorf("assembling %s (%s): %w", step, v, err)
			}
			out = append(out, img)
		}
	}
	return out, nil
}

func hasVariant(vs []Variant, v Variant) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// assemble builds one variant of one step for every platform and its
// attestations.
func assemble(step string, v Variant, bins map[Platform]*Binary, stepLayers map[Platform]v1.Layer, busybox map[Platform]*busyboxFiles, opts Options) (*Image, error) {
	res := &Image{Step: step, Variant: v}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range opts.Platforms {
		b := bins[p]
		if b == nil {
			return nil, fmt.Errorf("no %s binary", p)
		}
		var layers []v1.Layer
		if v == Debug {
			layers = append(layers, busybox[p].layer)
		}
		layers = append(layers, stepLayers[p])
		img, err := platformImage(step, v, p, layers, opts)
		if err != nil {
			return nil, err
		}
		pi, err := describe(p, img, b)
		if err != nil {
			return nil, err
		}
		res.Platforms = append(res.Platforms, pi)
		desc := v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Arch}}
		if p.Arch == "arm64" {
			desc.Platform.Variant = "v8"
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: desc})
	}
	d, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	res.Index, res.Digest = idx, d
	if v != Debug {
		busybox = nil
	}
	if res.SBOM, err = sbom(res, busybox, opts); err != nil {
		return nil, fmt.Errorf("writing the SBOM: %w", err)
	}
	if res.Provenance, res.ProvenancePredicate, err = provenance(res, busybox, opts); err != nil {
		return nil, fmt.Errorf("writing the provenance: %w", err)
	}
	return res, nil
}

// platformImage is one platform's image: the layers, the entrypoint, the
// variant's user, labels, every date at the epoch.
func platformImage(step string, v Variant, p Platform, layers []v1.Layer, opts Options) (v1.Image, error) {
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	for _, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:     l,
			MediaType: types.OCILayer,
			History:   v1.History{Created: v1.Time{Time: opts.Epoch}, CreatedBy: "hack/images", Comment: layerComment(l, layers)},
		})
		if err != nil {
			return nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = p.OS, p.Arch
	if p.Arch == "arm64" {
		cf.Variant = "v8"
	}
	cf.Created = v1.Time{Time: opts.Epoch}
	path := "/usr/local/bin:/usr/bin:/bin"
	if v == Debug {
		path = "/busybox:" + path
	}
	labels := map[string]string{
		"org.opencontainers.image.source": opts.Source.Repository,
		"org.opencontainers.image.title":  step,
		"dev.aviary.step":                 step,
		"dev.aviary.variant":              v.String(),
	}
	if opts.Version != "" {
		labels["org.opencontainers.image.version"] = opts.Version
	}
	cf.Config = v1.Config{
		Entrypoint: []string{"/" + step},
		User:       v.User(),
		Env:        []string{"PATH=" + path},
		// A directory the user may write, for files a step writes by
		// default (verify-artifacts' report) where the CI system does not
		// set the working directory (Tekton without a workspace).
		WorkingDir: v.Home(),
		Labels:     labels,
	}
	return mutate.ConfigFile(img, cf)
}

func layerComment(l v1.Layer, all []v1.Layer) string {
	if len(all) > 1 && l == all[0] {
		return "busybox"
	}
	return "step binary, CA roots, passwd"
}

// describe measures a platform image.
func describe(p Platform, img v1.Image, b *Binary) (PlatformImage, error) {
	pi := PlatformImage{Platform: p, Image: img, Binary: b}
	var err error
	if pi.Digest, err = img.Digest(); err != nil {
		return pi, err
	}
	m, err := img.Manifest()
	if err != nil {
		return pi, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return pi, err
	}
	pi.Compressed = m.Config.Size + int64(len(raw))
	for _, l := range m.Layers {
		pi.Compressed += l.Size
	}
	return pi, nil
}

// HostPlatform is the platform of this process (for running a busybox to
// list its applets).
func HostPlatform() Platform { return Platform{runtime.GOOS, runtime.GOARCH} }
