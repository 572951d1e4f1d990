package registry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestLayoutReadsRegularFilesOnly: a layout whose oci-layout, index.json,
// manifest or layer is a named pipe (or a link to a device) is refused as
// Invalid at once instead of blocking the reader forever.
func TestLayoutReadsRegularFilesOnly(t *testing.T) {
	tests := []struct {
		name    string
		replace func(l testLayout) string // returns the path made special
		special func(path string) error
	}{
		{"layer is a named pipe", func(l testLayout) string { return l.blob(l.layer) }, mkfifo},
		{"manifest is a named pipe", func(l testLayout) string { return l.blob(l.manifest) }, mkfifo},
		{"index.json is a named pipe", func(l testLayout) string { return filepath.Join(l.dir, "index.json") }, mkfifo},
		{"oci-layout is a named pipe", func(l testLayout) string { return filepath.Join(l.dir, "oci-layout") }, mkfifo},
		{"layer links to a device", func(l testLayout) string { return l.blob(l.layer) }, func(p string) error { return os.Symlink("/dev/zero", p) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLayout(t)
			path := tt.replace(l)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := tt.special(path); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unblock(path) })

			done := make(chan error, 1)
			go func() { done <- l.read(context.Background()) }()
			select {
			case err := <-done:
				if err == nil || outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), "not a regular file") {
					t.Fatalf("reading the layout = %v, want Invalid, not a regular file", err)
				}
				if !strings.Contains(err.Error(), filepath.Base(path)) {
					t.Errorf("reading the layout = %v, want it to name %s", err, filepath.Base(path))
				}
			case <-time.After(5 * time.Second):
				t.Fatal("reading the layout blocked on a special file")
			}
		})
	}
}

// TestLayoutStillReads: a layout of regular files reads as before.
func TestLayoutStillReads(t *testing.T) {
	l := newTestLayout(t)
	if err := l.read(context.Background()); err != nil {
		t.Fatalf("reading the layout: %v", err)
	}
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

// unblock opens a named pipe for writing and closes it, so that a reader
// still blocked on it (on the code before the fix) sees the end of it.
func unblock(path string) {
	if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
}

type testLayout struct {
	dir             string
	manifest, layer ocispec.Descriptor
}

func (l testLayout) blob(d ocispec.Descriptor) string {
	return filepath.Join(l.dir, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded())
}

// newTestLayout writes a layout with one tagged manifest of one layer.
func newTestLayout(t *testing.T) testLayout {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	target, err := New(Options{}).Target(ctx, Reference{Layout: dir}, true)
	if err != nil {
		t.Fatal(err)
	}
	layerData := []byte("layer")
	layer := content.NewDescriptorFromBytes("application/octet-stream", layerData)
	if err := target.Push(ctx, layer, strings.NewReader(string(layerData))); err != nil {
		t.Fatal(err)
	}
	manifest, err := oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, "application/vnd.example", oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Tag(ctx, manifest, "v1"); err != nil {
		t.Fatal(err)
	}
	return testLayout{dir: dir, manifest: manifest, layer: layer}
}

// read opens the layout and reads the manifest and the layer by digest.
func (l testLayout) read(ctx context.Context) error {
	target, err := New(Options{}).Target(ctx, Reference{Layout: l.dir, Digest: digest.Digest(l.manifest.Digest)}, false)
	if err != nil {
		return err
	}
	for _, d := range []ocispec.Descriptor{l.manifest, l.layer} {
		if _, err := content.FetchAll(ctx, target, d); err != nil {
			return err
		}
	}
	return nil
}
