// Package signbench fills a registry with a release of many signed
// images and a signed plan naming them all, for the verification benchmarks
// (BenchmarkVerify200 and hack/bench/verify-vs-cosign.sh). The signatures
// are written by package signature in cosign's format, which is much faster
// than running the cosign CLI per image; the cosign tests prove the format.
package signbench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/signature"
)

// Fixture is what Populate wrote.
type Fixture struct {
	// Plan is the signed plan by digest.
	Plan string
	// Images are the signed images by digest, one per service.
	Images []string
}

// Populate pushes n images to host/<prefix>/svc-NNN:1.0.0, signs each with
// the cosign private key, publishes a plan naming them all to
// host/<prefix>/plans:1.0.0 and signs it.
func Populate(ctx context.Context, client *registry.Client, host, prefix string, n int, keyPEM, password []byte) (*Fixture, error) {
	key, err := signature.LoadPrivateKey(keyPEM, password)
	if err != nil {
		return nil, err
	}
	images, err := pushAll(ctx, client, host, prefix, n, "1.0.0", key)
	if err != nil {
		return nil, err
	}
	f := &Fixture{Images: images}

	cfg := config.Config{Product: "bench", Topology: config.Topology{Kind: config.SingleCluster,
		Targets: []config.Target{{Role: config.RoleRelease, Namespace: "bench"}}}}
	p := &plan.Plan{Version: "1.0.0", Source: plan.Source{Commit: strings.Repeat("0a", 20), Time: time.Unix(1_700_000_000, 0)}}
	files := map[string][]byte{}
	for i, img := range f.Images {
		name := fmt.Sprintf("svc-%03d", i)
		cfg.Services = append(cfg.Services, config.Service{Name: name, Image: strings.Split(img, "@")[0], Manifests: "deploy/" + name})
		p.Services = append(p.Services, plan.Service{Name: name, Image: img, Tag: "1.0.0"})
		files[name+"/deployment.yaml"] = []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n")
	}
	p.Config = cfg.Close()
	a, err := plan.Pack(ctx, p, files)
	if err != nil {
		return nil, err
	}
	planRepo, err := registry.ParseReference(fmt.Sprintf("%s/%s/plans", host, prefix))
	if err != nil {
		return nil, err
	}
	target, err := client.Target(ctx, planRepo, false)
	if err != nil {
		return nil, err
	}
	if _, err := plan.Publish(ctx, a, target, "1.0.0"); err != nil {
		return nil, err
	}
	if _, err := signature.Sign(ctx, target, planRepo.Repo(), a.Descriptor, key, signature.SignOptions{}); err != nil {
		return nil, err
	}
	f.Plan = planRepo.WithDigest(a.Descriptor.Digest).String()
	return f, nil
}

// PushImages pushes n images to host/<prefix>/svc-NNN:tag, each one
// distinct per tag, signs each with the cosign private key, and returns
// them by digest. A plan naming them is left to bundle-plan.
func PushImages(ctx context.Context, client *registry.Client, host, prefix string, n int, tag string, keyPEM, password []byte) ([]string, error) {
	key, err := signature.LoadPrivateKey(keyPEM, password)
	if err != nil {
		return nil, err
	}
	return pushAll(ctx, client, host, prefix, n, tag, key)
}

// pushAll pushes and signs the n images, 16 at a time.
func pushAll(ctx context.Context, client *registry.Client, host, prefix string, n int, tag string, key *signature.PrivateKey) ([]string, error) {
	images := make([]string, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error {
			ref, err := pushSigned(gctx, client, fmt.Sprintf("%s/%s/svc-%03d", host, prefix, i), tag, key)
			images[i] = ref
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return images, nil
}

// pushSigned pushes a small image to repo:tag and signs it.
func pushSigned(ctx context.Context, client *registry.Client, repo, tag string, key *signature.PrivateKey) (string, error) {
	ref, err := registry.ParseReference(repo)
	if err != nil {
		return "", err
	}
	target, err := client.Target(ctx, ref, false)
	if err != nil {
		return "", err
	}
	layer, err := oras.PushBytes(ctx, target, ocispec.MediaTypeImageLayer, []byte("layer of "+repo+":"+tag))
	if err != nil {
		return "", fmt.Errorf("pushing %s: %w", repo, err)
	}
	cfg := fmt.Appendf(nil, `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}`, layer.Digest)
	cd, err := oras.PushBytes(ctx, target, ocispec.MediaTypeImageConfig, cfg)
	if err != nil {
		return "", fmt.Errorf("pushing %s: %w", repo, err)
	}
	m, err := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: cd, Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		return "", err
	}
	desc, err := oras.TagBytes(ctx, target, ocispec.MediaTypeImageManifest, m, tag)
	if err != nil {
		return "", fmt.Errorf("pushing %s: %w", repo, err)
	}
	if _, err := signature.Sign(ctx, target, ref.Repo(), desc, key, signature.SignOptions{}); err != nil {
		return "", fmt.Errorf("signing %s: %w", repo, err)
	}
	return ref.WithDigest(desc.Digest).String(), nil
}
