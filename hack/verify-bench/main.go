// Command verify-bench fills a registry with a release of signed images and
// a signed plan naming them all, for hack/bench/verify-vs-cosign.sh. The
// signatures are cosign's format, written by package signature.
//
//	COSIGN_PASSWORD=... go run ./hack/verify-bench --registry 127.0.0.1:5000 --key cosign.key --images 200 --out DIR
//
// It writes DIR/plan (the plan by digest) and DIR/images (one image by
// digest per line). With --tag it pushes and signs the images alone, tagged
// tag, and leaves the plan to bundle-plan (hack/bench/scale.sh):
//
//	COSIGN_PASSWORD=... go run ./hack/verify-bench --registry 127.0.0.1:5000 --key cosign.key --images 1000 --tag 1.1.0 --out DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aviary-cd/aviary/internal/signbench"
	"github.com/aviary-cd/aviary/pkg/registry"
)

func main() {
	reg := flag.String("registry", "", "registry host:port")
	keyPath := flag.String("key", "cosign.key", "cosign private key; the password is COSIGN_PASSWORD")
	n := flag.Int("images", 200, "number of images")
	out := flag.String("out", ".", "directory for the plan and images files")
	tag := flag.String("tag", "", "push and sign the images alone with this tag, without a plan")
	flag.Parse()
	if err := run(*reg, *keyPath, *n, *tag, *out); err != nil {
		fmt.Fprintf(os.Stderr, "verify-bench: %v\n", err)
		os.Exit(1)
	}
}

func run(reg, keyPath string, n int, tag, out string) error {
	if reg == "" {
		return fmt.Errorf("--registry is required")
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	if tag != "" {
		images, err := signbench.PushImages(ctx, registry.New(registry.Options{}), reg, "bench", n, tag, key, []byte(os.Getenv("COSIGN_PASSWORD")))
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "verify-bench: %d signed images tagged %s in %s\n", n, tag, time.Since(start).Round(time.Millisecond))
		return os.WriteFile(filepath.Join(out, "images"), []byte(strings.Join(images, "\n")+"\n"), 0o644)
	}
	fx, err := signbench.Populate(ctx, registry.New(registry.Options{}), reg, "bench", n, key, []byte(os.Getenv("COSIGN_PASSWORD")))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "plan"), []byte(fx.Plan+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "images"), []byte(strings.Join(fx.Images, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "verify-bench: %d signed images and a signed plan in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
