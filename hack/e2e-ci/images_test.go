package e2eci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/podman"
	"github.com/aviary-cd/aviary/internal/stepimage"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// sizeBudget is the most an image of one platform may weigh compressed.
const sizeBudget = 20 << 20

// TestImagesReproducibleAndSmall builds every image a second time, as the
// fixture's hack/images run did, and compares digests and attestations;
// and holds every image to the size budget, reporting each size.
func TestImagesReproducibleAndSmall(t *testing.T) {
	f := get(t)
	for _, r := range f.records.Images {
		var sizes []string
		for _, p := range r.Platforms {
			sizes = append(sizes, fmt.Sprintf("%s %.2f MiB", p.Platform, float64(p.Compressed)/(1<<20)))
			if p.Compressed > sizeBudget {
				t.Errorf("%s (%s) %s: %.2f MiB compressed, over the %d MiB budget", r.Step, r.Variant, p.Platform, float64(p.Compressed)/(1<<20), sizeBudget>>20)
			}
		}
		t.Logf("%-16s %-7s %s", r.Step, r.Variant, strings.Join(sizes, ", "))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	opts := stepimage.Options{Root: f.root, Version: "0.0.0-e2e", Builder: "aviary e2e-ci", Source: stepimage.Source{Revision: f.revision}}
	for _, r := range f.records.Images {
		if len(opts.Steps) == 0 || opts.Steps[len(opts.Steps)-1] != r.Step {
			opts.Steps = append(opts.Steps, r.Step)
		}
	}
	bb := filepath.Join(f.work, "busybox")
	opts.Busybox = map[string]string{"linux/amd64": bb + "/linux-amd64/busybox", "linux/arm64": bb + "/linux-arm64/busybox"}
	opts.BusyboxVersion = strings.TrimSpace(readFile(t, filepath.Join(bb, "VERSION")))
	again, err := stepimage.Build(ctx, opts)
	if err != nil {
		t.Fatalf("building again: %v", err)
	}
	f.timed("second build (Go build cache warm)", start)
	dir := filepath.Dir(f.recordFile)
	for _, img := range again {
		rec, ok := f.records.Find(img.Step, img.Variant)
		if !ok {
			t.Errorf("%s %s: not in the first build", img.Step, img.Variant)
			continue
		}
		if img.Digest.String() != rec.Digest {
			t.Errorf("%s (%s): second build %s, first %s: not reproducible", img.Step, img.Variant, img.Digest, rec.Digest)
		}
		if !bytes.Equal(img.SBOM, []byte(readFile(t, filepath.Join(dir, rec.SBOM)))) {
			t.Errorf("%s (%s): the SBOM differs between builds", img.Step, img.Variant)
		}
		if !bytes.Equal(img.Provenance, []byte(readFile(t, filepath.Join(dir, rec.Statement)))) {
			t.Errorf("%s (%s): the provenance differs between builds", img.Step, img.Variant)
		}
	}
}

// TestVerifyOwnImages: verify-artifacts, run from its own image, verifies
// aviary's step images as the adapters pin them — signatures and both attestations, as cosign wrote
// them — with the same code users run: a plan naming every image by
// digest, signed with cosign, and a policy requiring the attestations.
func TestVerifyOwnImages(t *testing.T) {
	f := get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p := &plan.Plan{
		Version: "0.0.0-e2e",
		Source:  plan.Source{Repository: stepimage.DefaultSourceRepository, Commit: f.revision, Time: time.Unix(0, 0)},
		// A plan carries a valid release config: the images as its
		// services, in a topology (which verify-artifacts does not read).
		Config: config.Config{Product: "aviary", Topology: config.Topology{Kind: config.SingleCluster,
			Targets: []config.Target{{Role: config.RoleRelease, Namespace: "aviary"}}}},
	}
	// The images as the adapters pin them (TestReleasePins checks the pins).
	pinned := pinnedRefs(t, f.pinned)
	for _, r := range f.records.Images {
		if _, ok := pinned[r.Ref]; !ok {
			continue
		}
		svc := r.Step
		if r.Variant != "nonroot" {
			svc += "-" + r.Variant
		}
		p.Services = append(p.Services, plan.Service{Name: svc, Image: r.Ref, Tag: r.Tag})
		repo, _, _ := strings.Cut(r.Ref, "@")
		p.Config.Services = append(p.Config.Services, config.Service{Name: svc, Image: repo, Manifests: "deploy/" + svc})
	}
	art, err := plan.Pack(ctx, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	repo := f.env.Registry.Host + "/aviary-cd/plans"
	ref, err := registry.ParseReference(repo)
	if err != nil {
		t.Fatal(err)
	}
	target, err := registry.New(registry.Options{}).Target(ctx, ref, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Publish(ctx, art, target, plan.VersionTag(p.Version)); err != nil {
		t.Fatal(err)
	}
	planRef := repo + "@" + art.Descriptor.Digest.String()
	args := append([]string{"sign", "--key", f.key.Private}, cosignFlags...)
	if err := f.runIn(ctx, f.work, f.cosignEnv(), f.cosign, append(args, planRef)...); err != nil {
		t.Fatal(err)
	}

	keys := t.TempDir()
	if err := os.WriteFile(filepath.Join(keys, "cosign.pub"), []byte(readFile(t, f.key.Public)), 0o644); err != nil {
		t.Fatal(err)
	}
	policy := func(attestations ...string) string {
		return "apiVersion: aviary.dev/v1\nkind: VerificationPolicy\nimages:\n  allowedRegistries: [" +
			f.env.Registry.Host + "/aviary-cd]\n  requiredAttestations: [" + strings.Join(attestations, ", ") + "]\n"
	}
	verify := func(t *testing.T, pol string) (podman.Result, map[string]any) {
		t.Helper()
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(keys, "policy.yaml"), []byte(pol), 0o644); err != nil {
			t.Fatal(err)
		}
		res := f.run(t, podman.Run{
			Image:  f.pullStep(t, "verify-artifacts", stepimage.Nonroot),
			Args:   []string{"--ci=local", "--plan=" + planRef, "--key=/keys/cosign.pub", "--policy=/keys/policy.yaml", "--report-path=/out/report.json"},
			Mounts: []podman.Mount{{Source: keys, Target: "/keys", ReadOnly: true}, {Source: dir, Target: "/out"}},
		})
		var rep map[string]any
		if data, err := os.ReadFile(filepath.Join(dir, "report.json")); err == nil {
			_ = json.Unmarshal(data, &rep)
		}
		return res, rep
	}

	t.Run("signed and attested", func(t *testing.T) {
		res, rep := verify(t, policy(stepimage.SBOMPredicateType, stepimage.ProvenancePredicateType))
		if res.Exit != 0 {
			t.Fatalf("verify-artifacts: exit %d\n%s", res.Exit, res.Stderr)
		}
		if rep["verified"] != true {
			t.Errorf("report: verified = %v, want true", rep["verified"])
		}
	})
	t.Run("an attestation nobody made", func(t *testing.T) {
		res, _ := verify(t, policy("https://spdx.dev/Document"))
		if res.Exit != 1 {
			t.Fatalf("verify-artifacts requiring an SPDX attestation: exit %d, want 1\n%s", res.Exit, res.Stderr)
		}
	})
}

// pullStep pulls the fixture's image of step's variant.
func (f *fixture) pullStep(t *testing.T, step string, v stepimage.Variant) string {
	t.Helper()
	rec, ok := f.records.Find(step, v)
	if !ok {
		t.Fatalf("no %s image of %s", v, step)
	}
	return f.pull(t, rec.Ref)
}
