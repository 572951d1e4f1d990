package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestModulesTidy keeps the main module and every tools module under hack/
// tidy: `go mod tidy -diff` prints what tidy would change and fails, without
// writing anything. A dependency added with `go get` alone, a direct
// dependency marked `// indirect`, or a go.sum line missing for a test of a
// dependency all fail here.
func TestModulesTidy(t *testing.T) {
	if testing.Short() {
		t.Skip("resolves every module's full graph; skipped with -short")
	}
	dirs := []string{repoRoot}
	mods, err := filepath.Glob(filepath.Join(repoRoot, "hack", "*", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		dirs = append(dirs, filepath.Dir(m))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cmd := exec.Command("go", "mod", "tidy", "-diff")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("go mod tidy -diff in %s: %v\n%s\nrun `go mod tidy` there and commit", dir, err, out)
			}
		})
	}
}
