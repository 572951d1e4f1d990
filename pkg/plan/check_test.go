package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// hostileNames are service names a plan written by hand could carry to
// inject into logs, summaries and outputs.
var hostileNames = []struct {
	name, value string
}{
	{"new line", "web\nexit 0"},
	{"workflow command", "::set-output name=evil::1"},
	{"table cell", "web|evil"},
	{"html", "<script>alert(1)</script>"},
	{"markdown link", "[click](https://evil.example)"},
	{"ansi escape", "web\x1b[2K"},
	{"upper case", "Web"},
	{"too long", strings.Repeat("a", 64)},
	{"empty", ""},
}

func TestCheckRefusesHostileNames(t *testing.T) {
	for _, tt := range hostileNames {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := samplePlan()
			p.APIVersion, p.Kind = APIVersion, Kind
			p.Services[1].Name = tt.value
			err := p.Check()
			if err == nil {
				t.Fatalf("Check() accepted service name %q", tt.value)
			}
			for _, want := range []string{"services[1].name: ", "is not a DNS-1123 label", "must"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Check() = %q, want it to contain %q", err, want)
				}
			}
			if strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Errorf("Check() = %q carries the name raw", err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *Plan)
		want string // "" means valid
	}{
		{"sample", func(*Plan) {}, ""},
		{"unpinned image", func(p *Plan) { p.Services[0].Image = "registry.example/shop/api:1.4.0" }, "services[0].image (service api): \"registry.example/shop/api:1.4.0\" is not pinned by digest"},
		{"layout image", func(p *Plan) { p.Services[0].Image = "oci-layout:/x@" + testDigest }, "is not a registry image reference"},
		{"image with a new line", func(p *Plan) { p.Services[0].Image = "registry.example/shop/api\n@" + testDigest }, "is not a registry image reference"},
		{"port", func(p *Plan) { p.Services[0].Port = 70000 }, "services[0].port (service api): 70000 is not a port"},
		{"manifest outside", func(p *Plan) { p.Services[0].Manifests = []string{"web/x.yaml"} }, `"web/x.yaml" is outside api/`},
		{"manifest with ..", func(p *Plan) { p.Services[0].Manifests = []string{"api/../x.yaml"} }, "not clean"},
		{"duplicate", func(p *Plan) { p.Services[1].Name = "api" }, `services[1].name: duplicate service "api" (also services[0])`},
		{"no services", func(p *Plan) { p.Services = nil }, "the plan has no services"},
		{"commit", func(p *Plan) { p.Source.Commit = "HEAD" }, `source.commit: "HEAD" is not a full git commit hash`},
		{"long version", func(p *Plan) { p.Version = "1.0.0-" + strings.Repeat("x", 200) }, `version: version "1.0.0-xxxx`},
		{"every problem", func(p *Plan) { p.Source.Commit = ""; p.Services[0].Port = -1 }, "2 problems:\n  source.commit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := samplePlan()
			p.APIVersion, p.Kind = APIVersion, Kind
			tt.edit(p)
			err := p.Check()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Check() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestReadRefusesHostilePlan writes plans by hand, as an attacker would,
// skipping Pack's checks, and reads them as every later step does.
func TestReadRefusesHostilePlan(t *testing.T) {
	for _, tt := range hostileNames {
		t.Run(tt.name, func(t *testing.T) {
			p, files := samplePlan()
			p.APIVersion, p.Kind = APIVersion, Kind
			p.Services[1].Name = tt.value
			delete(files, "web/deployment.yaml")
			ref := writeRaw(t, p, files)
			_, err := Read(context.Background(), ref, ReadOptions{})
			if err == nil || !strings.Contains(err.Error(), "services[1].name: ") || outcome.KindOf(err) != outcome.KindInvalid {
				t.Errorf("Read() = %v, want an invalid plan naming services[1].name", err)
			}
		})
	}
}

// writeRaw writes p (encoded as is, unchecked) and files as a plan artifact
// into an OCI layout and returns its reference by digest.
func writeRaw(t *testing.T, p *Plan, files map[string][]byte) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "plans")
	store, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if err := json.NewEncoder(&doc).Encode(p); err != nil {
		t.Fatal(err)
	}
	bundle, err := WriteBundle(files)
	if err != nil {
		t.Fatal(err)
	}
	var layers []ocispec.Descriptor
	for _, l := range []struct {
		mediaType string
		data      []byte
	}{{PlanMediaType, doc.Bytes()}, {ManifestsMediaType, bundle}} {
		desc := ocispec.Descriptor{MediaType: l.mediaType, Digest: digest.FromBytes(l.data), Size: int64(len(l.data))}
		if err := store.Push(ctx, desc, bytes.NewReader(l.data)); err != nil {
			t.Fatal(err)
		}
		layers = append(layers, desc)
	}
	desc, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, ArtifactType, oras.PackManifestOptions{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	return "oci-layout:" + dir + "@" + desc.Digest.String()
}
