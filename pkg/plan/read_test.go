package plan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"oras.land/oras-go/v2"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// publish packs the sample plan and publishes it to repo (a registry
// repository or oci-layout:<dir>) under its version.
func publish(t *testing.T, repo string, edit func(*Plan, map[string][]byte)) *Artifact {
	t.Helper()
	ctx := context.Background()
	p, files := samplePlan()
	if edit != nil {
		edit(p, files)
	}
	a, err := Pack(ctx, p, files)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := registry.ParseReference(repo)
	if err != nil {
		t.Fatal(err)
	}
	target, err := registry.New(registry.Options{}).Target(ctx, ref, true)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Publish(ctx, a, target, VersionTag(p.Version))
	if err != nil {
		t.Fatalf("Publish() error: %v", err)
	}
	if !res.Pushed {
		t.Fatal("Publish() pushed nothing on a fresh repository")
	}
	return a
}

func TestPublishAndRead(t *testing.T) {
	repos := map[string]string{
		"registry":   memRegistry(t) + "/shop/plans",
		"oci-layout": "oci-layout:" + filepath.Join(t.TempDir(), "plans"),
	}
	for name, repo := range repos {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a := publish(t, repo, nil)
			ref := repo + "@" + a.Descriptor.Digest.String()

			l, err := Read(ctx, ref, ReadOptions{})
			if err != nil {
				t.Fatalf("Read(%s) error: %v", ref, err)
			}
			if l.Ref != ref || l.Digest != a.Descriptor.Digest {
				t.Errorf("Read() ref, digest = %s, %s; want %s", l.Ref, l.Digest, ref)
			}
			p, files := samplePlan()
			if _, err := Pack(ctx, p, files); err != nil { // fills the manifests lists
				t.Fatal(err)
			}
			if diff := cmp.Diff(p, l.Plan); diff != "" {
				t.Errorf("Read() plan (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(files, l.Manifests); diff != "" {
				t.Errorf("Read() manifests (-want +got):\n%s", diff)
			}
			objs, err := l.ServiceObjects("api")
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetKind()+"/"+o.GetName())
			}
			if diff := cmp.Diff([]string{"Deployment/api", "Service/api", "HorizontalPodAutoscaler/api"}, kinds); diff != "" {
				t.Errorf("ServiceObjects(api) (-want +got):\n%s", diff)
			}

			// Publishing the same plan again pushes nothing.
			target := openTarget(t, repo)
			res, err := Publish(ctx, a, target, "1.4.0")
			if err != nil || res.Pushed {
				t.Errorf("Publish(same) = %+v, %v; want nothing pushed", res, err)
			}
			// Another plan under the same version is refused with both digests.
			p2, files2 := samplePlan()
			p2.Source.Commit = strings.Repeat("e", 40)
			a2, err := Pack(ctx, p2, files2)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Publish(ctx, a2, target, "1.4.0")
			var conflict *TagConflictError
			if !errors.As(err, &conflict) || outcome.KindOf(err) != outcome.KindNegative {
				t.Fatalf("Publish(other plan, same tag) error = %v, want a negative *TagConflictError", err)
			}
			if conflict.Existing != a.Descriptor.Digest || conflict.New != a2.Descriptor.Digest {
				t.Errorf("conflict = %+v, want existing %s new %s", conflict, a.Descriptor.Digest, a2.Descriptor.Digest)
			}
			if !strings.Contains(err.Error(), a.Descriptor.Digest.String()) || !strings.Contains(err.Error(), a2.Descriptor.Digest.String()) {
				t.Errorf("conflict message %q does not show both digests", err)
			}
		})
	}
}

func openTarget(t *testing.T, repo string) oras.Target {
	t.Helper()
	ref, err := registry.ParseReference(repo)
	if err != nil {
		t.Fatal(err)
	}
	target, err := registry.New(registry.Options{}).Target(context.Background(), ref, false)
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// TestReadTagRules checks plans are read by digest unless tags are allowed,
// and that an allowed tag is resolved once and reported.
func TestReadTagRules(t *testing.T) {
	ctx := context.Background()
	repo := memRegistry(t) + "/shop/plans"
	a := publish(t, repo, nil)
	byDigest := repo + "@" + a.Descriptor.Digest.String()

	tests := []struct {
		name     string
		ref      string
		allowTag bool
		wantErr  string // empty: success
	}{
		{"digest", byDigest, false, ""},
		{"tag refused", repo + ":1.4.0", false, "names a tag, which can move: give the digest"},
		{"tag allowed", repo + ":1.4.0", true, ""},
		{"tag and digest: digest wins", repo + ":9.9.9@" + a.Descriptor.Digest.String(), false, ""},
		{"repository only", repo, true, "names no plan"},
		{"unknown digest", repo + "@sha256:" + strings.Repeat("1", 64), false, "not found"},
		{"unknown tag", repo + ":0.0.1", true, "not found"},
		{"malformed", "not a ref", false, "reference"},
		{"layout that does not exist", "oci-layout:" + filepath.Join(t.TempDir(), "none") + "@" + a.Descriptor.Digest.String(), false, "no OCI image layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resolved []string
			l, err := Read(ctx, tt.ref, ReadOptions{AllowTag: tt.allowTag, OnResolve: func(tag, pinned string) {
				resolved = append(resolved, tag+" -> "+pinned)
			}})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Read(%s) error = %v, want %q", tt.ref, err, tt.wantErr)
				}
				if k := outcome.KindOf(err); k != outcome.KindInvalid {
					t.Errorf("KindOf(Read error) = %v, want invalid", k)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read(%s) error: %v", tt.ref, err)
			}
			if l.Ref != byDigest {
				t.Errorf("Read(%s).Ref = %s, want %s", tt.ref, l.Ref, byDigest)
			}
			if tt.allowTag {
				want := []string{repo + ":1.4.0 -> " + byDigest}
				if diff := cmp.Diff(want, resolved); diff != "" {
					t.Errorf("OnResolve calls (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestReadVerifies checks tampered blobs and oversized blobs are refused.
func TestReadVerifies(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "plans")
	a := publish(t, "oci-layout:"+dir, nil)
	ref := "oci-layout:" + dir + "@" + a.Descriptor.Digest.String()

	for _, tt := range []struct {
		name   string
		limits Limits
		want   string
	}{
		{"manifest limit", Limits{Manifest: 100}, "plan manifest"},
		{"plan limit", Limits{Plan: 100}, "plan document"},
		{"bundle limit", Limits{Bundle: 100}, "manifests bundle"},
		{"files limit", Limits{BundleFiles: 1}, "more than 1 files"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(ctx, ref, ReadOptions{Limits: tt.limits})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read() error = %v, want %q", err, tt.want)
			}
		})
	}

	t.Run("tampered plan layer", func(t *testing.T) {
		planDesc, _, err := parseManifest(a.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		blob := filepath.Join(dir, "blobs", "sha256", planDesc.Digest.Encoded())
		data, err := os.ReadFile(blob)
		if err != nil {
			t.Fatal(err)
		}
		tampered := []byte(strings.Replace(string(data), "1.4.0", "1.4.1", 1))
		if err := os.WriteFile(blob, tampered, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Read(ctx, ref, ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), "mismatch") {
			t.Errorf("Read(tampered) error = %v, want a digest mismatch", err)
		}
	})
}
