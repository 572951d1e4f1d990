package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/aviary-cd/aviary/internal/devenv"
)

// BenchmarkBundlePlan200 runs the real bundle-plan binary on a release of
// 200 services whose images sit in a real local Distribution registry: read
// the config and 400 manifest files from the commit, resolve 200 tags,
// pack, push and tag the plan. Each iteration bundles a new version, so
// every run pushes. It reports wall time per run and the step's peak RSS.
// Targets: at most 2 s and 100 MiB.
func BenchmarkBundlePlan200(b *testing.B) {
	const services = 200
	ctx := context.Background()
	reg, err := devenv.NewRegistry(ctx, devenv.RegistryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = reg.Close() })

	bin := filepath.Join(b.TempDir(), "bundle-plan")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("building bundle-plan: %v\n%s", err, out)
	}
	pushImages(b, reg.Host, services)
	repo := benchRepo(b, reg.Host, services)

	var maxRSS int64
	var cpu time.Duration
	i := 0
	for b.Loop() {
		i++
		cmd := exec.Command(bin, "--repo-path", repo, "--repository", reg.Host+"/bench/plans",
			"--version", fmt.Sprintf("1.0.%d", i), "--concurrency", "16")
		cmd.Env = append(os.Environ(), "AVIARY_CI=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("bundle-plan: %v\n%s", err, out)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxRSS {
			maxRSS = ru.Maxrss // KiB on Linux
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(i), "cpu-ms/op")
}

// pushImages pushes n small images, bench/svc-<i>:1.0.0.
func pushImages(b *testing.B, host string, n int) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			img, err := random.Image(128, 1)
			if err != nil {
				errs <- err
				return
			}
			ref, err := name.ParseReference(fmt.Sprintf("%s/bench/svc-%03d:1.0.0", host, i), name.Insecure)
			if err != nil {
				errs <- err
				return
			}
			errs <- remote.Write(ref, img)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchRepo commits a release config of n services, each with a Deployment
// and a Service, to a new git repository.
func benchRepo(b *testing.B, host string, n int) string {
	b.Helper()
	dir := b.TempDir()
	var cfg strings.Builder
	cfg.WriteString("product: bench\nservices:\n")
	for i := range n {
		svc := fmt.Sprintf("svc-%03d", i)
		fmt.Fprintf(&cfg, "  - name: %s\n    image: %s/bench/%s:1.0.0\n    manifests: deploy/%s\n    port: 8080\n", svc, host, svc, svc)
		d := filepath.Join(dir, "deploy", svc)
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		deploy := fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: %s}\n  template:\n    metadata:\n      labels: {app: %s}\n    spec:\n      containers:\n        - name: app\n          image: %s\n          ports: [{containerPort: 8080}]\n", svc, svc, svc, svc)
		service := fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\nspec:\n  selector: {app: %s}\n  ports: [{port: 80, targetPort: 8080}]\n", svc, svc)
		for f, data := range map[string]string{"deployment.yaml": deploy, "service.yaml": service} {
			if err := os.WriteFile(filepath.Join(d, f), []byte(data), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	cfg.WriteString("topology:\n  kind: single-cluster\n  targets:\n    - role: release\n      namespace: bench\n")
	if err := os.WriteFile(filepath.Join(dir, "aviary.yaml"), []byte(cfg.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "bench release"},
		// Packed, as a CI checkout is: a clone or fetch stores its objects
		// in a packfile, not one loose file per object.
		{"repack", "-adq"},
	} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}
