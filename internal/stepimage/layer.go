package stepimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// entry is one file, directory or symlink of a layer.
type entry struct {
	name     string
	mode     int64
	uid      int
	data     []byte
	linkname string // symlink target
	dir      bool
}

// layer writes entries as a gzip-compressed tar layer, every header dated
// at epoch and owned by uid/gid of the entry, so that equal entries give
// an equal digest.
func layer(entries []entry, epoch time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case e.dir:
			h.Typeflag, h.Name = tar.TypeDir, strings.TrimSuffix(e.name, "/")+"/"
		case e.linkname != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.linkname
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	// Compress once here: go-containerregistry takes gzip input as the
	// compressed layer as it is, instead of compressing again on every read.
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	data := gz.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
}

const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group  = "root:x:0:\nnonroot:x:65532:\n"
)

// stepLayer holds the step binary at /<step>, the CA roots, passwd and
// group, and the directories a process expects: a home for root and
// nonroot, and /tmp.
func stepLayer(step, binary string, roots []byte, epoch time.Time) (v1.Layer, error) {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	return layer([]entry{
		{name: step, mode: 0o755, data: bin},
		{name: "etc", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, data: []byte("hosts: files dns\n")},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl", mode: 0o755, dir: true},
		{name: "etc/ssl/certs", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: roots},
		{name: "home", mode: 0o755, dir: true},
		{name: "home/nonroot", mode: 0o700, uid: nonrootUID, dir: true},
		{name: "root", mode: 0o700, dir: true},
		{name: "tmp", mode: 0o1777, dir: true},
	}, epoch)
}

// caBundle is the PEM bundle of the Mozilla (NSS) roots that
// golang.org/x/crypto/x509roots ships, without the roots that carry
// constraints a PEM file cannot express (distrust after a date).
func caBundle() ([]byte, error) {
	var b bytes.Buffer
	n := 0
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate}); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, errors.New("no CA roots in golang.org/x/crypto/x509roots/fallback/bundle")
	}
	return b.Bytes(), nil
}

// busyboxFiles is the busybox of one platform, as a layer.
type busyboxFiles struct {
	path   string
	sha256 string
	layer  v1.Layer
}

// loadBusybox reads the busybox binary of every platform and makes its
// layer: /busybox/busybox, a symlink per applet in /busybox, and /bin/sh.
// The applets are listed by the busybox of this machine's platform.
func loadBusybox(paths map[string]string, platforms []Platform) (map[Platform]*busyboxFiles, error) {
	host := paths[HostPlatform().String()]
	if host == "" {
		return nil, fmt.Errorf("the debug variant needs a busybox binary for %s (to list its applets) besides one per platform", HostPlatform())
	}
	out, err := exec.Command(host, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("listing the applets of %s: %w", host, err)
	}
	applets := strings.Fields(string(out))
	sort.Strings(applets)
	res := map[Platform]*busyboxFiles{}
	for _, p := range platforms {
		path := paths[p.String()]
		if path == "" {
			return nil, fmt.Errorf("the debug variant needs a busybox binary for %s", p)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading busybox for %s: %w", p, err)
		}
		sum := sha256.Sum256(data)
		entries := []entry{
			{name: "bin", mode: 0o755, dir: true},
			{name: "bin/sh", linkname: "/busybox/sh"},
			{name: "busybox", mode: 0o755, dir: true},
			{name: "busybox/busybox", mode: 0o755, data: data},
		}
		for _, a := range applets {
			if a == "busybox" || strings.Contains(a, "/") {
				continue
			}
			entries = append(entries, entry{name: "busybox/" + a, linkname: "busybox"})
		}
		l, err := layer(entries, time.Unix(0, 0))
		if err != nil {
			return nil, err
		}
		res[p] = &busyboxFiles{path: path, sha256: hex.EncodeToString(sum[:]), layer: l}
	}
	return res, nil
}
