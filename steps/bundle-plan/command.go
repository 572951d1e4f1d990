package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/release"
	"github.com/aviary-cd/aviary/pkg/source"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

// command is one bundle-plan run: its inputs, and the signer when the plan
// is to be signed.
type command struct {
	configPath  string
	repository  string
	repoPath    string
	version     string
	pattern     release.BranchPattern
	concurrency int
	registry    registry.Options
	getenv      func(string) string
	signer      signer // nil: leave the plan unsigned
	log         *slog.Logger
}

// signer signs a pushed plan. The production one is cosignSigner
// (pkg/signature); it is an interface so the command stays testable.
type signer interface {
	// Sign signs the plan ref (by digest) unless it is signed already.
	Sign(ctx context.Context, client *registry.Client, target oras.Target, ref registry.Reference, desc ocispec.Descriptor) (signed bool, err error)
}

// result is what a run produced.
type result struct {
	Ref      string // repo@sha256:...
	Digest   string
	Version  string
	Pushed   bool // false: the version tag already named this plan
	Signed   bool // a signature was written in this run
	Services []plan.Service
}

func run(ctx context.Context, s *step.Session) error {
	c, err := newCommand(s)
	if err != nil {
		return err
	}
	end := s.Group("bundle-plan")
	res, err := c.run(ctx)
	end()
	if err != nil {
		return err
	}
	s.SetOutput("plan-ref", res.Ref)
	s.SetOutput("plan-digest", res.Digest)
	s.SetOutput("version", res.Version)
	s.Summary(summary(res))
	return nil
}

func newCommand(s *step.Session) (*command, error) {
	repo, err := registry.ParseReference(s.String("repository"))
	if err != nil {
		return nil, err
	}
	if repo.Tag != "" || repo.Digest != "" {
		return nil, outcome.Invalidf("repository %s: give the repository only; the plan is tagged with its version", s.String("repository"))
	}
	// A connection kept per concurrent request, as verify-artifacts does.
	regOpts, err := stepinput.Registry(s, s.String("repository"), s.Int("concurrency")+4)
	if err != nil {
		return nil, err
	}
	pattern, err := release.ParseBranchPattern(s.String("branch-pattern"))
	if err != nil {
		return nil, err
	}
	c := &command{
		configPath:  s.String("config"),
		repository:  s.String("repository"),
		repoPath:    s.String("repo-path"),
		version:     s.String("version"),
		pattern:     pattern,
		concurrency: s.Int("concurrency"),
		getenv:      s.Getenv,
		log:         s.Log(),
		registry:    regOpts,
	}
	if c.concurrency < 1 {
		return nil, outcome.Invalidf("concurrency %d: must be at least 1", c.concurrency)
	}
	if key := s.String("sign-key"); key != "" {
		pem, err := loadKey(key)
		if err != nil {
			return nil, err
		}
		if c.signer, err = newCosignSigner(pem, []byte(s.String("sign-key-password"))); err != nil {
			return nil, fmt.Errorf("sign-key: %w", err)
		}
	}
	return c, nil
}

// loadKey takes the sign-key input: PEM text, or the path of a PEM file.
func loadKey(v string) ([]byte, error) {
	if strings.Contains(v, "-----BEGIN") {
		return []byte(v), nil
	}
	data, err := os.ReadFile(v)
	if err != nil {
		return nil, outcome.Invalidf("sign-key: neither PEM nor a readable file: %w", err)
	}
	return data, nil
}

// run bundles the release: config and manifests from the commit, images
// pinned by digest, the plan packed, pushed and tagged with the version.
func (c *command) run(ctx context.Context) (*result, error) {
	src, err := source.Open(c.repoPath)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	version, err := src.Version(c.version, c.pattern, c.getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := src.ReadConfig(c.configPath)
	if err != nil {
		return nil, err
	}
	files, err := src.Manifests(cfg)
	if err != nil {
		return nil, err
	}
	c.log.Info("read release config", "commit", src.Hash(), "version", version,
		"services", len(cfg.Services), "manifests", len(files))

	client := registry.New(c.registry)
	services, err := c.pinImages(ctx, client, cfg, version)
	if err != nil {
		return nil, err
	}
	p := &plan.Plan{
		Version: version,
		Source: plan.Source{
			Repository: src.Origin(),
			Commit:     src.Hash(),
			Time:       src.Time(),
		},
		Config:   cfg.Close(),
		Services: services,
	}
	// Pack refuses a plan that a later step would refuse to read: the
	// readers' own check, before anything is pushed or tagged.
	art, err := plan.Pack(ctx, p, files)
	if err != nil {
		return nil, err
	}
	return c.publish(ctx, client, art, p)
}

// pinImages resolves every service's image tag (its own, else the version)
// to a digest, all at once.
func (c *command) pinImages(ctx context.Context, client *registry.Client, cfg *config.Config, version string) ([]plan.Service, error) {
	refs := make([]string, len(cfg.Services))
	for i, s := range cfg.Services {
		_, ref, err := registry.NormalizeImage(s.Image, plan.VersionTag(version))
		if err != nil {
			return nil, outcome.Invalidf("services[%d].image: %w", i, err)
		}
		refs[i] = ref
	}
	c.log.Info("resolving images", "images", len(refs), "concurrency", c.concurrency)
	images, err := client.ResolveImages(ctx, refs, c.concurrency)
	if err != nil {
		return nil, fmt.Errorf("pinning images: %w", err)
	}
	services := make([]plan.Service, len(cfg.Services))
	for i, s := range cfg.Services {
		services[i] = plan.Service{Name: s.Name, Image: images[i].Pinned(), Tag: images[i].Tag, Port: s.Port}
	}
	return services, nil
}

func (c *command) publish(ctx context.Context, client *registry.Client, art *plan.Artifact, p *plan.Plan) (*result, error) {
	repo, err := registry.ParseReference(c.repository)
	if err != nil {
		return nil, err
	}
	where := repo.Registry
	if repo.IsLayout() {
		where = repo.Layout
	}
	target, err := client.Target(ctx, repo, true)
	if err != nil {
		return nil, client.Classify(err, where)
	}
	tag := plan.VersionTag(p.Version)
	pub, err := plan.Publish(ctx, art, target, tag)
	if err != nil {
		return nil, client.Classify(err, where)
	}
	ref := repo.WithDigest(art.Descriptor.Digest)
	res := &result{
		Ref: ref.String(), Digest: art.Descriptor.Digest.String(), Version: p.Version,
		Pushed: pub.Pushed, Services: p.Services,
	}
	if pub.Pushed {
		c.log.Info("pushed plan", "plan", res.Ref, "tag", tag)
	} else {
		c.log.Info("version already published with this very plan; nothing pushed", "plan", res.Ref, "tag", tag)
	}

	// Signing: pkg/signature writes a cosign signature beside the plan.
	if c.signer != nil {
		signed, err := c.signer.Sign(ctx, client, target, ref, art.Descriptor)
		if err != nil {
			return nil, client.Classify(fmt.Errorf("signing plan %s: %w", res.Ref, err), where)
		}
		res.Signed = signed
		if signed {
			c.log.Info("signed plan", "plan", res.Ref)
		} else {
			c.log.Info("plan already signed", "plan", res.Ref)
		}
	}
	return res, nil
}
