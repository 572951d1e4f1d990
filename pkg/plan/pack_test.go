package plan

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/aviary-cd/aviary/pkg/outcome"
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

// TestPackRefusesWhatReadersRefuse checks the writer against the reader:
// whatever Read with the default Limits would refuse, Pack refuses as
// outcome.Invalid, so bundle-plan never publishes (and immutably tags) a plan
// later steps cannot read.
func TestPackRefusesWhatReadersRefuse(t *testing.T) {
	tooMany := func(p *Plan, f map[string][]byte) {
		for i := range DefaultBundleFilesLimit {
			f[fmt.Sprintf("web/x/%05d.yaml", i)] = []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
		}
	}
	tests := []struct {
		name  string
		edit  func(p *Plan, files map[string][]byte)
		wantE string
	}{
		{"more files than readers accept", tooMany, "manifests bundle holds more than 10000 files"},
		{"service name with a new line", func(p *Plan, f map[string][]byte) {
			p.Services[1].Name = "web\n::set-output name=x::1"
			delete(f, "web/deployment.yaml")
		},
			`services[1].name: "web\n::set-output name=x::1" is not a DNS-1123 label`},
		{"version too long for a tag", func(p *Plan, f map[string][]byte) { p.Version = "1.4.0-" + strings.Repeat("a", 130) },
			"an OCI tag holds at most 128"},
		{"source repository with an escape", func(p *Plan, f map[string][]byte) { p.Source.Repository = "https://git.example/\x1b[2Jshop" },
			"source.repository:"},
		{"short commit", func(p *Plan, f map[string][]byte) { p.Source.Commit = "3f1c2d4" }, "source.commit:"},
		{"bad tag", func(p *Plan, f map[string][]byte) { p.Services[0].Tag = "1.4.0\n" }, "services[0].tag (service api)"},
		{"config that does not validate", func(p *Plan, f map[string][]byte) { p.Config.Services[0].Name = "API" },
			`config.services[0].name: "API" is not a DNS-1123 label`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, files := samplePlan()
			files = maps.Clone(files)
			tt.edit(p, files)
			_, err := Pack(context.Background(), p, files)
			if err == nil || !strings.Contains(err.Error(), tt.wantE) {
				t.Fatalf("Pack() error = %v, want it to contain %q", err, tt.wantE)
			}
			if outcome.KindOf(err) != outcome.KindInvalid {
				t.Errorf("Pack() error kind = %v, want invalid", outcome.KindOf(err))
			}
		})
	}
}
