package stepimage

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Record is what a build published of one image, as hack/images writes it
// to its --record file: the release signs, attests and pins from it.
type Record struct {
	Step    string `json:"step"`
	Variant string `json:"variant"`
	// Ref is the pushed image by digest (repository@sha256:...), or the
	// layout reference (<dir>@sha256:...) when written to a layout.
	Ref string `json:"ref"`
	// Tag is the tag pushed (or the layout's ref.name).
	Tag    string `json:"tag"`
	Digest string `json:"digest"`
	// Platforms are the index's images.
	Platforms []PlatformRecord `json:"platforms"`
	// SBOM and Provenance are the files holding the CycloneDX document and
	// the SLSA provenance predicate, relative to the record file.
	SBOM       string `json:"sbom"`
	Provenance string `json:"provenance"`
	// Statement is the provenance as a whole in-toto statement, relative
	// to the record file.
	Statement string `json:"statement"`
}

// PlatformRecord is one platform's image of a record.
type PlatformRecord struct {
	Platform   string `json:"platform"`
	Digest     string `json:"digest"`
	Compressed int64  `json:"compressedBytes"`
	Binary     string `json:"binarySha256"`
}

// Records is a --record file.
type Records struct {
	Images []Record `json:"images"`
}

// Find returns the record of step's variant.
func (r Records) Find(step string, v Variant) (Record, bool) {
	for _, rec := range r.Images {
		if rec.Step == step && rec.Variant == v.String() {
			return rec, true
		}
	}
	return Record{}, false
}

// ReadRecords reads a --record file.
func ReadRecords(path string) (Records, error) {
	var r Records
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("reading %s: %w", path, err)
	}
	return r, nil
}

// Target is where images go: an OCI layout directory or a registry prefix.
type Target struct {
	// Layout is an OCI image layout directory (created when missing).
	Layout string
	// Prefix is <registry>/<path>; the images are <prefix>/<step>.
	Prefix string
	// Tag is the release tag; each variant adds its suffix (Variant.Tag).
	Tag string
	// Remote are options for pushing (auth, transport, context).
	Remote []remote.Option
}

// Publish writes or pushes every image and returns their records; the
// attestation files are written into dir with the names the records give.
func Publish(ctx context.Context, images []*Image, t Target, dir string) (Records, error) {
	var recs Records
	var lp layout.Path
	if t.Layout != "" {
		var err error
		if lp, err = layout.FromPath(t.Layout); err != nil {
			if lp, err = layout.Write(t.Layout, empty.Index); err != nil {
				return recs, fmt.Errorf("creating layout %s: %w", t.Layout, err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return recs, err
	}
	for _, img := range images {
		tag := img.Variant.Tag(t.Tag)
		rec := Record{Step: img.Step, Variant: img.Variant.String(), Tag: tag, Digest: img.Digest.String()}
		switch {
		case t.Layout != "":
			if err := lp.AppendIndex(img.Index, layout.WithAnnotations(map[string]string{
				"org.opencontainers.image.ref.name": img.Step + ":" + tag,
			})); err != nil {
				return recs, fmt.Errorf("writing %s: %w", img.Step, err)
			}
			rec.Ref = t.Layout + "@" + img.Digest.String()
		default:
			ref, err := name.NewTag(t.Prefix + "/" + img.Step + ":" + tag)
			if err != nil {
				return recs, fmt.Errorf("naming %s: %w", img.Step, err)
			}
			if err := remote.WriteIndex(ref, img.Index, append([]remote.Option{remote.WithContext(ctx)}, t.Remote...)...); err != nil {
				return recs, fmt.Errorf("pushing %s: %w", ref, err)
			}
			rec.Ref = ref.Context().Digest(img.Digest.String()).String()
		}
		for _, p := range img.Platforms {
			rec.Platforms = append(rec.Platforms, PlatformRecord{
				Platform: p.Platform.String(), Digest: p.Digest.String(), Compressed: p.Compressed, Binary: p.Binary.SHA256,
			})
		}
		base := img.Step
		if img.Variant != Nonroot {
			base += "-" + string(img.Variant)
		}
		rec.SBOM, rec.Provenance, rec.Statement = base+".cdx.json", base+".provenance.json", base+".intoto.json"
		for file, data := range map[string][]byte{rec.SBOM: img.SBOM, rec.Provenance: img.ProvenancePredicate, rec.Statement: img.Provenance} {
			if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
				return recs, err
			}
		}
		recs.Images = append(recs.Images, rec)
	}
	sort.SliceStable(recs.Images, func(i, j int) bool {
		a, b := recs.Images[i], recs.Images[j]
		if a.Step != b.Step {
			return a.Step < b.Step
		}
		return a.Variant < b.Variant
	})
	return recs, nil
}

// WriteRecords writes records as indented JSON to path and, beside it as
// <name>.tsv, one line per image for shell scripts (hack/images/sign.sh):
// ref, SBOM file, provenance file, tab-separated.
func WriteRecords(path string, r Records) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return err
	}
	var tsv []byte
	for _, rec := range r.Images {
		tsv = fmt.Appendf(tsv, "%s\t%s\t%s\n", rec.Ref, rec.SBOM, rec.Provenance)
	}
	return os.WriteFile(strings.TrimSuffix(path, filepath.Ext(path))+".tsv", tsv, 0o644)
}
