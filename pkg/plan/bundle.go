package plan

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
)

// Defaults of Limits.
const (
	DefaultManifestLimit       = 4 << 20
	DefaultPlanLimit           = 16 << 20
	DefaultBundleLimit         = 64 << 20
	DefaultBundleUnpackedLimit = 256 << 20
	DefaultBundleFilesLimit    = 10000
)

func (l Limits) withDefaults() Limits {
	if l.Manifest <= 0 {
		l.Manifest = DefaultManifestLimit
	}
	if l.Plan <= 0 {
		l.Plan = DefaultPlanLimit
	}
	if l.Bundle <= 0 {
		l.Bundle = DefaultBundleLimit
	}
	if l.BundleUnpacked <= 0 {
		l.BundleUnpacked = DefaultBundleUnpackedLimit
	}
	if l.BundleFiles <= 0 {
		l.BundleFiles = DefaultBundleFilesLimit
	}
	return l
}

// bundleTime is every entry's modification time: the Unix epoch, so that
// the archive depends on the files alone.
var bundleTime = time.Unix(0, 0).UTC()

// WriteBundle writes files (by path <service>/<file>) as the manifests layer:
// a gzip-compressed tar holding regular files only, in path order, each with
// mode 0644, uid and gid 0, no user or group names and the epoch as mtime;
// the gzip header has no name and no time. The same files always give the
// same bytes (for one Go release: compress/flate output may change between
// Go releases).
func WriteBundle(files map[string][]byte) ([]byte, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		if err := checkBundlePath(p); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, p := range paths {
		data := files[p]
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     p,
			Mode:     0o644,
			Size:     int64(len(data)),
			ModTime:  bundleTime,
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("writing %s to the manifests bundle: %w", p, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("writing %s to the manifests bundle: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkBundlePath accepts a clean relative slash path of at least two
// elements (<service>/<file>) without "..".
func checkBundlePath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("absolute path %q", p)
	case strings.Contains(p, `\`):
		return fmt.Errorf("path %q holds a backslash", p)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q holds a NUL", p)
	case path.Clean(p) != p:
		return fmt.Errorf("path %q is not clean", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." || el == "." {
			return fmt.Errorf("path %q leaves its directory", p)
		}
	}
	if !strings.Contains(p, "/") {
		return fmt.Errorf("path %q is not <service>/<file>", p)
	}
	return nil
}

// ReadBundle unpacks a manifests layer into memory, refusing anything a
// well-formed bundle does not hold: absolute paths, "..", links, devices,
// FIFOs, duplicate paths, more than limits.BundleFiles files or more than
// limits.BundleUnpacked bytes in all (counted as the archive is read, so a
// compression bomb stops early). Directory entries are skipped.
func ReadBundle(r io.Reader, limits Limits) (map[string][]byte, error) {
	limits = limits.withDefaults()
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading manifests bundle: %w", err)
	}
	defer zr.Close()
	// The tar stream itself (headers, padding) is bounded too.
	budget := &io.LimitedReader{R: zr, N: limits.BundleUnpacked + 1<<20}
	tr := tar.NewReader(budget)
	files := map[string][]byte{}
	var total int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			if budget.N <= 0 {
				return nil, fmt.Errorf("manifests bundle unpacks to more than %d bytes", limits.BundleUnpacked)
			}
			return nil, fmt.Errorf("reading manifests bundle: %w", err)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := checkBundlePath(strings.TrimSuffix(hdr.Name, "/") + "/x"); err != nil {
				return nil, fmt.Errorf("manifests bundle: directory entry: %w", err)
			}
			continue
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return nil, fmt.Errorf("manifests bundle: %q is a link; only regular files are allowed", hdr.Name)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return nil, fmt.Errorf("manifests bundle: %q is a device or FIFO; only regular files are allowed", hdr.Name)
		default:
			return nil, fmt.Errorf("manifests bundle: %q has entry type %q; only regular files are allowed", hdr.Name, hdr.Typeflag)
		}
		if err := checkBundlePath(hdr.Name); err != nil {
			return nil, fmt.Errorf("manifests bundle: %w", err)
		}
		if _, dup := files[hdr.Name]; dup {
			return nil, fmt.Errorf("manifests bundle: %q appears twice", hdr.Name)
		}
		if len(files) >= limits.BundleFiles {
			return nil, fmt.Errorf("manifests bundle holds more than %d files", limits.BundleFiles)
		}
		if hdr.Size < 0 || hdr.Size > limits.BundleUnpacked-total {
			return nil, fmt.Errorf("manifests bundle unpacks to more than %d bytes (at %q)", limits.BundleUnpacked, hdr.Name)
		}
		data := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return nil, fmt.Errorf("manifests bundle: reading %q: %w", hdr.Name, err)
		}
		total += hdr.Size
		files[hdr.Name] = data
	}
}
