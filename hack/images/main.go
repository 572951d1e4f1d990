// Command images builds aviary's step images without a Docker engine (see
// internal/stepimage and images/README.md): for every step an OCI index over
// linux/amd64 and linux/arm64 in three variants — nonroot (the default),
// root (GitHub Docker actions) and debug (busybox, GitLab jobs) — with a
// CycloneDX SBOM and an SLSA provenance per image for the release to attest.
//
//	go run ./hack/images --out <layout dir> --record images.json
//	go run ./hack/images --push ghcr.io/aviary-cd --tag v1.2.0 --record images.json
//
// The debug variant needs busybox: --busybox <dir> with
// linux-<arch>/busybox and VERSION, as hack/images/busybox.sh writes it.
// The record file lists every image by digest with its attestation files
// (written beside it); cosign signs and attests from it and hack/generate
// --pin pins the CI adapters to it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/aviary-cd/aviary/internal/stepimage"
	"github.com/aviary-cd/aviary/internal/toolcache"
	"github.com/aviary-cd/aviary/pkg/catalog"
)

func main() {
	var o opts
	flag.StringVar(&o.out, "out", "", "write an OCI image layout to this directory")
	flag.StringVar(&o.push, "push", "", "push to <registry>/<prefix>; images are named <prefix>/<step>")
	flag.StringVar(&o.tag, "tag", "dev", "release tag; the root and debug variants add -root and -debug")
	flag.StringVar(&o.record, "record", "", "write the images by digest to this JSON file, and their SBOMs and provenance beside it")
	flag.StringVar(&o.steps, "steps", "", "comma-separated steps to build (default: all)")
	flag.StringVar(&o.platforms, "platforms", "linux/amd64,linux/arm64", "comma-separated platforms")
	flag.StringVar(&o.variants, "variants", "nonroot,root,debug", "comma-separated variants: nonroot, root, debug")
	flag.StringVar(&o.busybox, "busybox", "", "directory with linux-<arch>/busybox and VERSION (hack/images/busybox.sh), for the debug variant")
	flag.StringVar(&o.version, "version", "", "release version for the org.opencontainers.image.version label (default: none)")
	flag.StringVar(&o.revision, "revision", "", "source commit for the provenance (default: git rev-parse HEAD, if a git checkout)")
	flag.StringVar(&o.ref, "ref", "", "source ref for the provenance, e.g. refs/tags/v1.2.0")
	flag.StringVar(&o.builder, "builder", "local", "builder id for the provenance, e.g. the release workflow's URL")
	flag.StringVar(&o.invocation, "invocation", "", "invocation id for the provenance, e.g. the workflow run's URL")
	flag.Parse()
	if (o.out == "") == (o.push == "") || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "images: give exactly one of --out or --push")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

type opts struct {
	out, push, tag, record, steps, platforms, variants, busybox string
	version, revision, ref, builder, invocation                 string
}

func run(ctx context.Context, o opts) error {
	root, err := toolcache.RepoRoot()
	if err != nil {
		return err
	}
	bo := stepimage.Options{
		Root: root, Version: o.version, Builder: o.builder, InvocationID: o.invocation,
		Source: stepimage.Source{Revision: o.revision, Ref: o.ref},
	}
	if bo.Steps = split(o.steps); len(bo.Steps) == 0 {
		for _, d := range catalog.All() {
			bo.Steps = append(bo.Steps, d.Name)
		}
	}
	for _, p := range split(o.platforms) {
		osName, arch, ok := strings.Cut(p, "/")
		if !ok {
			return fmt.Errorf("platform %q: want os/arch", p)
		}
		bo.Platforms = append(bo.Platforms, stepimage.Platform{OS: osName, Arch: arch})
	}
	for _, v := range split(o.variants) {
		variant, err := stepimage.ParseVariant(v)
		if err != nil {
			return err
		}
		bo.Variants = append(bo.Variants, variant)
	}
	if o.busybox != "" {
		if bo.Busybox, bo.BusyboxVersion, err = readBusyboxDir(o.busybox); err != nil {
			return err
		}
	}
	if bo.Source.Revision == "" {
		if out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err == nil {
			bo.Source.Revision = strings.TrimSpace(string(out))
		}
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		bo.Epoch = time.Unix(sec, 0)
	}

	start := time.Now()
	images, err := stepimage.Build(ctx, bo)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "images: built %d images in %s\n", len(images), time.Since(start).Round(time.Second))

	recordDir := os.TempDir()
	if o.record != "" {
		recordDir = filepath.Dir(o.record)
	}
	target := stepimage.Target{Layout: o.out, Prefix: o.push, Tag: o.tag,
		Remote: []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}}
	recs, err := stepimage.Publish(ctx, images, target, recordDir)
	if err != nil {
		return err
	}
	if o.record != "" {
		if err := stepimage.WriteRecords(o.record, recs); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tVARIANT\tIMAGE\tCOMPRESSED")
	for _, r := range recs.Images {
		var sizes []string
		for _, p := range r.Platforms {
			sizes = append(sizes, fmt.Sprintf("%s %.1f MiB", p.Platform, float64(p.Compressed)/(1<<20)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Step, r.Variant, r.Ref, strings.Join(sizes, ", "))
	}
	return tw.Flush()
}

// readBusyboxDir reads what hack/images/busybox.sh writes.
func readBusyboxDir(dir string) (map[string]string, string, error) {
	v, err := os.ReadFile(filepath.Join(dir, "VERSION"))
	if err != nil {
		return nil, "", fmt.Errorf("busybox directory: %w (run hack/images/busybox.sh %s)", err, dir)
	}
	paths := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", err
	}
	for _, e := range entries {
		osName, arch, ok := strings.Cut(e.Name(), "-")
		if !e.IsDir() || !ok {
			continue
		}
		paths[osName+"/"+arch] = filepath.Join(dir, e.Name(), "busybox")
	}
	return paths, strings.TrimSpace(string(v)), nil
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
