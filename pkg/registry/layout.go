package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// openLayout opens the OCI image layout at dir, creating it when create is
// set. It reads regular files only: a named pipe, device or socket where the
// layout keeps a file (oci-layout, index.json, a blob) would block the
// reader forever or never end, and is outcome.Invalid.
func openLayout(ctx context.Context, dir string, create bool) (oras.Target, error) {
	if !create {
		if _, err := os.Stat(filepath.Join(dir, ocispec.ImageLayoutFile)); err != nil {
			return nil, outcome.Invalidf("no OCI image layout at %s: %w", dir, err)
		}
	}
	// oras-go reads oci-layout, index.json and the manifests the index
	// names while opening, by path: check them all first.
	if err := checkLayoutFiles(dir); err != nil {
		return nil, err
	}
	store, err := oci.NewWithContext(ctx, dir)
	if err != nil {
		return nil, outcome.Invalidf("opening OCI image layout %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, outcome.Invalidf("opening OCI image layout %s: %w", dir, err)
	}
	return &layout{Store: store, dir: abs}, nil
}

// checkLayoutFiles refuses a layout whose files are not all regular files
// (or directories, under blobs). Missing files are left to oras-go.
func checkLayoutFiles(dir string) error {
	for _, name := range []string{ocispec.ImageLayoutFile, ocispec.ImageIndexFile} {
		if err := checkRegular(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	err := filepath.WalkDir(filepath.Join(dir, ocispec.ImageBlobsDir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return checkRegular(path)
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		if outcome.KindOf(err) == outcome.KindUnknown {
			err = outcome.Invalidf("reading OCI image layout %s: %w", dir, err)
		}
		return err
	}
	return nil
}

// checkRegular refuses path unless it is, or links to, a regular file or a
// directory.
func checkRegular(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().IsRegular() || fi.IsDir() {
		return nil
	}
	return notRegular(path, fi.Mode())
}

// openRegular opens path for reading if it is a regular file. Opening does
// not block whatever path is (O_NONBLOCK: a named pipe without a writer
// would block a plain open), and the type is checked on the open file, so
// the file cannot be swapped between the check and the read.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, fi.Mode())
	}
	return f, nil
}

func notRegular(path string, mode fs.FileMode) error {
	what := "special file"
	switch {
	case mode.IsDir():
		what = "directory"
	case mode&fs.ModeNamedPipe != 0:
		what = "named pipe"
	case mode&fs.ModeSocket != 0:
		what = "socket"
	case mode&fs.ModeDevice != 0:
		what = "device"
	}
	return outcome.Invalidf("%s is a %s, not a regular file: an OCI image layout holds regular files only", path, what)
}

// layout is an oras-go OCI store whose blobs are opened with openRegular.
type layout struct {
	*oci.Store
	dir string
}

// Fetch opens the blob desc names, if it is a regular file.
func (l *layout) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", desc.Digest, errdef.ErrInvalidDigest, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := openRegular(filepath.Join(l.dir, ocispec.ImageBlobsDir, desc.Digest.Algorithm().String(), desc.Digest.Encoded()))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %s: %w", desc.Digest, desc.MediaType, errdef.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}
