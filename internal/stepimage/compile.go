package stepimage

import (
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
)

// BuildFlags are the go build flags of every step binary: no local paths,
// no VCS stamp (the provenance carries the revision, so the binary, and the
// image, depend on the source only), no symbol tables.
var BuildFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w"}

// Binary is one compiled step.
type Binary struct {
	Step     string
	Platform Platform
	Path     string
	// SHA256 is the hex digest of the file.
	SHA256 string
	// Info is the Go build information read back from the file.
	Info *debug.BuildInfo
}

// compile builds steps for p into dir with one go build.
func compile(ctx context.Context, root, dir string, p Platform, steps []string, log io.Writer) (map[string]*Binary, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", dir+string(filepath.Separator))
	for _, s := range steps {
		args = append(args, "./steps/"+s)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch, "GOFLAGS=", "GOWORK=off")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building the steps for %s: %w", p, err)
	}
	out := map[string]*Binary{}
	for _, s := range steps {
		b, err := readBinary(filepath.Join(dir, s), s, p)
		if err != nil {
			return nil, err
		}
		out[s] = b
	}
	return out, nil
}

func readBinary(path, step string, p Platform) (*Binary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the build information of %s: %w", step, err)
	}
	return &Binary{Step: step, Platform: p, Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Info: info}, nil
}
