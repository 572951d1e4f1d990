package stepimage

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
)

func testOptions(t *testing.T) Options {
	t.Helper()
	root, err := filepath.Abs("testdata/repo")
	if err != nil {
		t.Fatal(err)
	}
	bb, err := filepath.Abs("testdata/busybox")
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Root:    root,
		Steps:   []string{"hello"},
		Busybox: map[string]string{"linux/amd64": bb + "/linux-amd64/busybox", "linux/arm64": bb + "/linux-arm64/busybox"},
		// The stand-ins list their applets only on this machine's platform.
		BusyboxVersion: "1:1.35.0-test",
		Version:        "1.2.3",
		Source:         Source{Revision: "0123456789abcdef0123456789abcdef01234567", Ref: "refs/tags/v1.2.3"},
		Builder:        "test",
	}
}

func build(t *testing.T, opts Options) []*Image {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles for two platforms")
	}
	if HostPlatform() != (Platform{"linux", "amd64"}) && HostPlatform() != (Platform{"linux", "arm64"}) {
		t.Skip("the busybox stand-ins list applets on linux only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	images, err := Build(ctx, opts)
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	return images
}

var (
	sharedOnce   sync.Once
	sharedImages []*Image
)

// built is one build shared by the tests that only read it.
func built(t *testing.T) []*Image {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles for two platforms")
	}
	sharedOnce.Do(func() { sharedImages = build(t, testOptions(t)) })
	if sharedImages == nil {
		t.Fatal("the shared build failed")
	}
	return sharedImages
}

// TestBuildReproducible builds twice and compares every digest and
// attestation byte for byte.
func TestBuildReproducible(t *testing.T) {
	opts := testOptions(t)
	first, second := built(t), build(t, opts)
	if len(first) != 3 || len(second) != 3 {
		t.Fatalf("Build() = %d and %d images, want 3 (one per variant)", len(first), len(second))
	}
	for i := range first {
		a, b := first[i], second[i]
		if a.Digest != b.Digest {
			t.Errorf("%s %s: digests %s and %s differ between two builds", a.Step, a.Variant, a.Digest, b.Digest)
		}
		if !bytes.Equal(a.SBOM, b.SBOM) || !bytes.Equal(a.Provenance, b.Provenance) {
			t.Errorf("%s %s: attestations differ between two builds", a.Step, a.Variant)
		}
	}
}

func TestBuildVariants(t *testing.T) {
	images := built(t)
	want := map[Variant]struct {
		user   string
		layers int
	}{Nonroot: {"65532:65532", 1}, Root: {"0:0", 1}, Debug: {"65532:65532", 2}}
	for _, img := range images {
		w := want[img.Variant]
		m, err := img.Index.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Manifests) != 2 {
			t.Fatalf("%s: %d manifests, want 2", img.Variant, len(m.Manifests))
		}
		for i, p := range img.Platforms {
			if got := m.Manifests[i].Platform; got.OS != p.Platform.OS || got.Architecture != p.Platform.Arch {
				t.Errorf("%s: manifest %d platform %v, want %v", img.Variant, i, got, p.Platform)
			}
			cf, err := p.Image.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.Config.User != w.user {
				t.Errorf("%s %s: user %q, want %q", img.Variant, p.Platform, cf.Config.User, w.user)
			}
			if cf.Config.WorkingDir != img.Variant.Home() {
				t.Errorf("%s: working directory %q, want %q", img.Variant, cf.Config.WorkingDir, img.Variant.Home())
			}
			if got := cf.Config.Entrypoint; len(got) != 1 || got[0] != "/hello" {
				t.Errorf("%s: entrypoint %q, want [/hello]", img.Variant, got)
			}
			if cf.Architecture != p.Platform.Arch || !cf.Created.Time.Equal(time.Unix(0, 0)) {
				t.Errorf("%s: architecture %q created %v, want %q at the epoch", img.Variant, cf.Architecture, cf.Created, p.Platform.Arch)
			}
			layers, err := p.Image.Layers()
			if err != nil {
				t.Fatal(err)
			}
			if len(layers) != w.layers {
				t.Errorf("%s: %d layers, want %d", img.Variant, len(layers), w.layers)
			}
		}
	}
}

func TestSBOM(t *testing.T) {
	images := built(t)
	for _, img := range images {
		var bom cdx.BOM
		if err := cdx.NewBOMDecoder(bytes.NewReader(img.SBOM), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
			t.Fatalf("%s: decoding the SBOM: %v", img.Variant, err)
		}
		if bom.Metadata == nil || bom.Metadata.Component == nil || bom.Metadata.Component.Name != "hello" {
			t.Fatalf("%s: SBOM metadata component is not the image: %+v", img.Variant, bom.Metadata)
		}
		names := map[string]bool{}
		for _, c := range *bom.Components {
			names[c.Name] = true
		}
		for _, want := range []string{"/hello", "stdlib"} {
			if !names[want] {
				t.Errorf("%s: SBOM has no component %q", img.Variant, want)
			}
		}
		if got := names["busybox-static"]; got != (img.Variant == Debug) {
			t.Errorf("%s: SBOM lists busybox-static = %v", img.Variant, got)
		}
	}
}

func TestProvenance(t *testing.T) {
	images := built(t)
	img := images[0]
	var st struct {
		Type      string `json:"_type"`
		Predicate string `json:"predicateType"`
		Subject   []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Pred struct {
			BuildDefinition struct {
				BuildType            string `json:"buildType"`
				ResolvedDependencies []struct {
					Digest map[string]string `json:"digest"`
				} `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
			RunDetails struct {
				Builder struct {
					ID string `json:"id"`
				} `json:"builder"`
			} `json:"runDetails"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(img.Provenance, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != "https://in-toto.io/Statement/v1" || st.Predicate != ProvenancePredicateType {
		t.Errorf("statement type %q predicate %q", st.Type, st.Predicate)
	}
	if len(st.Subject) != 3 || st.Subject[0].Digest["sha256"] != img.Digest.Hex {
		t.Errorf("subjects %v, want the index %s and its two images", st.Subject, img.Digest)
	}
	if st.Pred.RunDetails.Builder.ID != "test" || st.Pred.BuildDefinition.BuildType != BuildType {
		t.Errorf("builder %q build type %q", st.Pred.RunDetails.Builder.ID, st.Pred.BuildDefinition.BuildType)
	}
	if d := st.Pred.BuildDefinition.ResolvedDependencies; len(d) == 0 || d[0].Digest["gitCommit"] != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("resolved dependencies %v, want the source commit first", d)
	}
	var pred map[string]any
	if err := json.Unmarshal(img.ProvenancePredicate, &pred); err != nil || pred["buildDefinition"] == nil {
		t.Errorf("predicate alone: %v %v", pred, err)
	}
}

// TestPublish pushes to a registry and checks the records.
func TestPublish(t *testing.T) {
	images := built(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	recs, err := Publish(context.Background(), images, Target{Prefix: host + "/aviary-cd", Tag: "v1.2.3"}, dir)
	if err != nil {
		t.Fatalf("Publish() = %v", err)
	}
	if len(recs.Images) != 3 {
		t.Fatalf("Publish() = %d records, want 3", len(recs.Images))
	}
	rec, ok := recs.Find("hello", Debug)
	if !ok || rec.Tag != "v1.2.3-debug" || !strings.HasPrefix(rec.Ref, host+"/aviary-cd/hello@sha256:") {
		t.Fatalf("debug record %+v", rec)
	}
	ref, err := nameDigest(rec.Ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("fetching %s: %v", rec.Ref, err)
	}
	if d, _ := idx.Digest(); d.String() != rec.Digest {
		t.Errorf("pushed index %s, record %s", d, rec.Digest)
	}
	if err := WriteRecords(filepath.Join(dir, "images.json"), recs); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRecords(filepath.Join(dir, "images.json"))
	if err != nil || len(back.Images) != 3 {
		t.Fatalf("ReadRecords() = %v, %v", back, err)
	}
}

func nameDigest(s string) (name.Digest, error) { return name.NewDigest(s) }
