package toolcache

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestTableMatchesToolsModules keeps the table's versions in step with the
// go.mod of each tools module, since the version names the cached binary.
func TestTableMatchesToolsModules(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range Tools() {
		t.Run(tool.Name, func(t *testing.T) {
			gomod, err := os.ReadFile(filepath.Join(root, "hack", tool.Module, "go.mod"))
			if err != nil {
				t.Fatalf("reading hack/%s/go.mod: %v", tool.Module, err)
			}
			// Some module that is a prefix of the package is required at Version.
			found := false
			for _, m := range regexp.MustCompile(`(?m)^\s*(?:require\s+)?(\S+)\s+(v\S+)`).FindAllStringSubmatch(string(gomod), -1) {
				if m[2] == tool.Version && (tool.Package == m[1] || len(tool.Package) > len(m[1]) && tool.Package[:len(m[1])+1] == m[1]+"/") {
					found = true
				}
			}
			if !found {
				t.Errorf("hack/%s/go.mod does not require the module of %s at %s", tool.Module, tool.Package, tool.Version)
			}
			if _, err := os.Stat(filepath.Join(root, "hack", tool.Module, "go.sum")); err != nil {
				t.Errorf("hack/%s/go.sum: %v", tool.Module, err)
			}
		})
	}
}

func TestPathPrefersToolsDir(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "kwok")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AVIARY_TOOLS_DIR", dir)
	got, err := Path(context.Background(), "kwok")
	if err != nil || got != bin {
		t.Errorf("Path(kwok) = %q, %v; want %q, nil", got, err, bin)
	}
}

func TestPathUsesKubebuilderAssetsForAPIServer(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "kube-apiserver")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AVIARY_TOOLS_DIR", "")
	t.Setenv("KUBEBUILDER_ASSETS", dir)
	got, err := Path(context.Background(), "kube-apiserver")
	if err != nil || got != bin {
		t.Errorf("Path(kube-apiserver) = %q, %v; want %q, nil", got, err, bin)
	}
}

func TestPathUsesCachedBinary(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("AVIARY_TOOLS_DIR", "")
	tool, _ := Lookup("crane")
	bin := filepath.Join(cache, "aviary", "tools", "crane-"+tool.Version)
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Path(context.Background(), "crane")
	if err != nil || got != bin {
		t.Errorf("Path(crane) = %q, %v; want %q, nil", got, err, bin)
	}
}

func TestPathRejectsUnknownTool(t *testing.T) {
	if _, err := Path(context.Background(), "no-such-tool"); err == nil {
		t.Errorf("Path(no-such-tool) = nil error, want one")
	}
}

func TestLockFileWaitsForHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, path); err == nil {
		t.Fatalf("second lockFile while held = nil error, want a timeout")
	}
	unlock()
	unlock2, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatalf("lockFile after unlock = %v", err)
	}
	unlock2()
}
