package plan

import (
	"bytes"
	"context"
	"maps"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestPackCanonical checks that equal inputs give byte-identical plan
// documents, bundles and manifests, whatever the order files were added in.
func TestPackCanonical(t *testing.T) {
	ctx := context.Background()
	p1, files1 := samplePlan()
	a1, err := Pack(ctx, p1, files1)
	if err != nil {
		t.Fatal(err)
	}
	// Same content built again: a fresh map (other iteration order), the
	// same instant in another zone.
	p2, files := samplePlan()
	p2.Source.Time = p2.Source.Time.In(time.UTC)
	files2 := map[string][]byte{}
	for _, k := range []string{"web/deployment.yaml", "api/extra/hpa.yaml", "api/deployment.yaml"} {
		files2[k] = bytes.Clone(files[k])
	}
	a2, err := Pack(ctx, p2, files2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a1.Plan, a2.Plan) {
		t.Errorf("plan documents differ:\n%s", cmp.Diff(string(a1.Plan), string(a2.Plan)))
	}
	if !bytes.Equal(a1.Bundle, a2.Bundle) {
		t.Error("bundles differ")
	}
	if !bytes.Equal(a1.Manifest, a2.Manifest) || a1.Descriptor.Digest != a2.Descriptor.Digest {
		t.Errorf("manifests differ: %s vs %s", a1.Descriptor.Digest, a2.Descriptor.Digest)
	}

	// A change anywhere changes the digest.
	p3, files3 := samplePlan()
	files3["web/deployment.yaml"] = append(bytes.Clone(files3["web/deployment.yaml"]), '#')
	a3, err := Pack(ctx, p3, files3)
	if err != nil {
		t.Fatal(err)
	}
	if a3.Descriptor.Digest == a1.Descriptor.Digest {
		t.Error("changing a manifest file left the plan digest unchanged")
	}
}

func TestPackManifestShape(t *testing.T) {
	p, files := samplePlan()
	a, err := Pack(context.Background(), p, files)
	if err != nil {
		t.Fatal(err)
	}
	planDesc, bundleDesc, err := parseManifest(a.Manifest)
	if err != nil {
		t.Fatalf("parseManifest() error: %v", err)
	}
	if planDesc.MediaType != PlanMediaType || bundleDesc.MediaType != ManifestsMediaType {
		t.Errorf("layer media types = %s, %s", planDesc.MediaType, bundleDesc.MediaType)
	}
	if a.Descriptor.ArtifactType != ArtifactType {
		t.Errorf("artifactType = %q, want %q", a.Descriptor.ArtifactType, ArtifactType)
	}
	var m ocispec.Manifest
	mustUnmarshal(t, a.Manifest, &m)
	wantAnn := map[string]string{
		"org.opencontainers.image.created":  "2026-05-04T08:30:00Z",
		"org.opencontainers.image.version":  "1.4.0",
		"org.opencontainers.image.revision": "3f1c2d4e5f60718293a4b5c6d7e8f90112233445",
		"org.opencontainers.image.source":   "https://git.example/shop",
		"org.opencontainers.image.title":    "shop",
	}
	if diff := cmp.Diff(wantAnn, m.Annotations); diff != "" {
		t.Errorf("manifest annotations (-want +got):\n%s", diff)
	}
	if m.Config.MediaType != ocispec.MediaTypeEmptyJSON {
		t.Errorf("config media type = %q, want the empty descriptor", m.Config.MediaType)
	}
	got := p.Service("api").Manifests
	if diff := cmp.Diff([]string{"api/deployment.yaml", "api/extra/hpa.yaml"}, got); diff != "" {
		t.Errorf("api manifests (-want +got):\n%s", diff)
	}
}

func TestPackRefuses(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(p *Plan, files map[string][]byte)
		wantE string
	}{
		{"files of an unknown service", func(p *Plan, f map[string][]byte) { f["db/x.yaml"] = nil }, `manifests for "db"`},
		{"unpinned image", func(p *Plan, f map[string][]byte) { p.Services[0].Image = "registry.example/shop/api:1.4.0" }, "not pinned by digest"},
		{"bad version", func(p *Plan, f map[string][]byte) { p.Version = "v1.4" }, "not a semantic version"},
		{"unclean path", func(p *Plan, f map[string][]byte) { f["api/../web/x.yaml"] = nil }, "not clean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, files := samplePlan()
			files = maps.Clone(files)
			tt.edit(p, files)
			_, err := Pack(context.Background(), p, files)
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.wantE)) {
				t.Errorf("Pack() error = %v, want it to contain %q", err, tt.wantE)
			}
		})
	}
}
