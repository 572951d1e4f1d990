// Command images builds one OCI image per aviary step without a Docker engine:
// a static binary at /<step> plus CA certificates, user 65532. It writes an
// OCI image layout (--out) or pushes to a registry (--push).
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/aviary-cd/aviary/pkg/catalog"
)

func main() {
	out := flag.String("out", "", "write an OCI image layout to this directory")
	push := flag.String("push", "", "push to <registry>/<prefix>; images are named <prefix>/<step>")
	tag := flag.String("tag", "dev", "tag to push")
	base := flag.String("base", "", "base image to build on (default: none; use a busybox-carrying base such as gcr.io/distroless/static-debian12:debug for the -debug variant GitLab jobs need)")
	flag.Parse()
	if (*out == "") == (*push == "") {
		fmt.Fprintln(os.Stderr, "images: give exactly one of --out or --push")
		os.Exit(2)
	}
	if err := run(*out, *push, *tag, *base); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

func run(out, push, tag, baseRef string) error {
	tmp, err := os.MkdirTemp("", "aviary-images-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var lp layout.Path
	if out != "" {
		if lp, err = layout.FromPath(out); err != nil {
			if lp, err = layout.Write(out, empty.Index); err != nil {
				return fmt.Errorf("creating layout %s: %w", out, err)
			}
		}
	}
	for _, def := range catalog.All() {
		bin := filepath.Join(tmp, def.Name)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./steps/"+def.Name)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building %s: %w", def.Name, err)
		}
		img, err := image(def.Name, bin, baseRef)
		if err != nil {
			return fmt.Errorf("assembling %s: %w", def.Name, err)
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		if out != "" {
			if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{
				"org.opencontainers.image.ref.name": def.Name + ":" + tag,
			})); err != nil {
				return fmt.Errorf("writing %s: %w", def.Name, err)
			}
			fmt.Printf("%s\t%s\n", def.Name, d)
			continue
		}
		ref, err := name.ParseReference(push + "/" + def.Name + ":" + tag)
		if err != nil {
			return fmt.Errorf("parsing push target: %w", err)
		}
		if err := remote.Write(ref, img); err != nil {
			return fmt.Errorf("pushing %s: %w", ref, err)
		}
		fmt.Printf("%s\t%s@%s\n", def.Name, ref.Context(), d)
	}
	return nil
}

func image(step, bin, baseRef string) (v1.Image, error) {
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	if baseRef != "" {
		ref, err := name.ParseReference(baseRef)
		if err != nil {
			return nil, fmt.Errorf("parsing base %q: %w", baseRef, err)
		}
		if base, err = remote.Image(ref); err != nil {
			return nil, fmt.Errorf("fetching base %s: %w", ref, err)
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	add := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	if err := add(step, 0o755, b); err != nil {
		return nil, err
	}
	if certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		if err := add("etc/ssl/certs/ca-certificates.crt", 0o644, certs); err != nil {
			return nil, err
		}
	}
	if err := add("etc/passwd", 0o644, []byte("nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg := cf.Config
	cfg.Entrypoint = []string{"/" + step}
	cfg.User = "65532:65532"
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Labels["org.opencontainers.image.source"] = "https://github.com/aviary-cd/aviary"
	cfg.Labels["org.opencontainers.image.title"] = step
	if baseRef == "" {
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	return mutate.Config(img, cfg)
}
