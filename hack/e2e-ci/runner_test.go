package e2eci

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/aviary-cd/aviary/internal/stepimage"
)

// runnerImage is the job image act starts for a job's run: steps, and the
// helper image gitlab-ci-local copies files with: Debian's static busybox
// and static bash, and rsync. No image can be pulled here, so it is
// assembled from Debian's packages.
const runnerImage = "localhost/aviary-e2e/runner:bash"

// loadRunnerImage builds the runner image and loads it into podman.
func (f *fixture) loadRunnerImage(t *testing.T) string {
	t.Helper()
	f.runnerOnce.Do(func() { f.runnerErr = f.buildRunnerImage() })
	if f.runnerErr != nil {
		t.Fatalf("preparing the runner image: %v", f.runnerErr)
	}
	return runnerImage
}

func (f *fixture) buildRunnerImage() error {
	bash, err := exec.LookPath("bash-static")
	if err != nil {
		return err // Debian: apt-get install bash-static
	}
	bb := filepath.Join(f.work, "busybox", "linux-"+stepimage.HostPlatform().Arch, "busybox")
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return err
	}
	busybox, err := os.ReadFile(bb)
	if err != nil {
		return err
	}
	bashData, err := os.ReadFile(bash)
	if err != nil {
		return err
	}
	var tw tarWriter
	tw.dir("bin", 0o755)
	tw.file("bin/busybox", busybox, 0o755)
	tw.file("bin/bash", bashData, 0o755)
	for _, a := range strings.Fields(string(out)) {
		if a != "busybox" && a != "bash" && !strings.Contains(a, "/") {
			tw.symlink("bin/"+a, "busybox")
		}
	}
	// rsync, which gitlab-ci-local's helper runs to copy artifacts out,
	// from this Debian machine with its shared libraries.
	if err := tw.dynamic("/usr/bin/rsync"); err != nil {
		return err
	}
	tw.dir("etc", 0o755)
	tw.file("etc/passwd", []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	tw.dir("root", 0o700)
	tw.dir("tmp", 0o1777)
	tw.symlink("usr/bin/env", "/bin/busybox")
	layer, err := tw.layer()
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", stepimage.HostPlatform().Arch
	cf.Config = v1.Config{Env: []string{"PATH=/usr/bin:/bin"}, Cmd: []string{"/bin/sh"}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	tag, err := name.NewTag(runnerImage)
	if err != nil {
		return err
	}
	tar := filepath.Join(f.work, "runner.tar")
	if err := tarball.WriteToFile(tar, tag, img); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = f.podman.Output(ctx, "load", "--quiet", "--input", tar)
	os.Remove(tar)
	return err
}

// tarWriter collects a layer's entries.
type tarWriter struct {
	buf  bytes.Buffer
	tw   *tar.Writer
	err  error
	dirs map[string]bool
}

func (w *tarWriter) header(h *tar.Header, data []byte) {
	if w.tw == nil {
		w.tw = tar.NewWriter(&w.buf)
	}
	if w.err != nil {
		return
	}
	h.ModTime = time.Unix(0, 0)
	if w.err = w.tw.WriteHeader(h); w.err == nil && len(data) > 0 {
		_, w.err = w.tw.Write(data)
	}
}

func (w *tarWriter) dir(name string, mode int64) {
	if w.dirs == nil {
		w.dirs = map[string]bool{}
	}
	w.dirs[name] = true
	w.header(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode}, nil)
}

func (w *tarWriter) file(name string, data []byte, mode int64) {
	w.header(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))}, data)
}

func (w *tarWriter) symlink(name, target string) {
	w.header(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}, nil)
}

func (w *tarWriter) layer() (v1.Layer, error) {
	if w.err == nil {
		w.err = w.tw.Close()
	}
	if w.err != nil {
		return nil, w.err
	}
	data := w.buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// dynamic adds a dynamically linked binary of this machine with the shared
// libraries ldd lists, each at its path, and the directories above them.
func (w *tarWriter) dynamic(bin string) error {
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return fmt.Errorf("ldd %s: %w", bin, err)
	}
	files := []string{bin}
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "/") {
				files = append(files, f)
			}
		}
	}
	for _, f := range files {
		real, err := filepath.EvalSymlinks(f)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(real)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(f, "/")
		w.parents(name)
		w.file(name, data, 0o755)
	}
	return nil
}

// parents adds the directories above name not added yet.
func (w *tarWriter) parents(name string) {
	if w.dirs == nil {
		w.dirs = map[string]bool{}
	}
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		d := strings.Join(parts[:i], "/")
		if !w.dirs[d] {
			w.dirs[d] = true
			w.dir(d, 0o755)
		}
	}
}
