package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aviary-cd/aviary/internal/toolcache"
)

// envTools are the programs the local environment runs.
var envTools = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "prometheus", "pilot-discovery"}

// ensureTools finds every program of the environment, building the missing
// ones once (toolcache caches them). Building the Kubernetes binaries takes
// minutes on a small machine, so it says so and shows that it is alive.
func ensureTools(ctx context.Context, out io.Writer) error {
	var missing []toolcache.Tool
	for _, name := range envTools {
		tool, ok := toolcache.Lookup(name)
		if !ok {
			return fmt.Errorf("tool %q is not in internal/toolcache's table", name)
		}
		if !available(tool) {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		dir, _ := toolcache.CacheDir()
		fmt.Fprintf(out, "  tools       etcd, Kubernetes %s, kwok, Prometheus, istiod: cached (%s)\n", kubeVersion(), dir)
		return nil
	}
	dir, err := toolcache.CacheDir()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  tools       first run: building %d program(s) from source once, cached in %s for later runs.\n", len(missing), dir)
	for _, t := range missing {
		if strings.HasPrefix(t.Name, "kube-") {
			fmt.Fprintf(out, "              The Kubernetes binaries take about ten minutes on two cores.\n")
			break
		}
	}
	for _, t := range missing {
		if t.Name == "pilot-discovery" {
			fmt.Fprintf(out, "              istiod (pilot-discovery) takes 12 to 15 CPU-minutes more.\n")
		}
	}
	start := time.Now()
	for i, tool := range missing {
		if err := buildTool(ctx, out, tool, i+1, len(missing)); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "              all built in %s\n", since(start))
	return nil
}

// buildTool builds one tool, printing a line every 30 seconds while it runs.
func buildTool(ctx context.Context, out io.Writer, tool toolcache.Tool, n, of int) error {
	fmt.Fprintf(out, "              [%d/%d] %s %s ...\n", n, of, tool.Name, tool.Version)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fmt.Fprintf(out, "                    still building %s (%s)\n", tool.Name, since(start).Round(time.Second))
			}
		}
	}()
	_, err := toolcache.Path(ctx, tool.Name)
	close(done)
	if err != nil {
		return fmt.Errorf("building %s: %w", tool.Name, err)
	}
	fmt.Fprintf(out, "                    built %s in %s\n", tool.Name, since(start).Round(time.Second))
	return nil
}

// available mirrors toolcache's lookup without building: a binary given by
// the environment, on PATH where allowed, or already cached.
func available(tool toolcache.Tool) bool {
	dirs := []string{os.Getenv("AVIARY_TOOLS_DIR")}
	for _, env := range tool.Env {
		dirs = append(dirs, os.Getenv(env))
	}
	for _, d := range dirs {
		if d != "" && executable(filepath.Join(d, tool.Name)) {
			return true
		}
	}
	if tool.PathEnv != "" && executable(os.Getenv(tool.PathEnv)) {
		return true
	}
	if tool.LookPath {
		if _, err := exec.LookPath(tool.Name); err == nil {
			return true
		}
	}
	dir, err := toolcache.CacheDir()
	return err == nil && executable(filepath.Join(dir, tool.Name+"-"+tool.Version))
}

func executable(path string) bool {
	if path == "" {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func kubeVersion() string {
	if t, ok := toolcache.Lookup("kube-apiserver"); ok {
		return t.Version
	}
	return ""
}
