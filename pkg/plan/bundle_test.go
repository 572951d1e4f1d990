package plan

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entry is one tar entry for crafting bundles, hostile ones included.
type entry struct {
	hdr  tar.Header
	data string
}

func file(name, data string) entry {
	return entry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data))}, data}
}

func craft(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBundleRoundTrip(t *testing.T) {
	_, files := samplePlan()
	data, err := WriteBundle(files)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadBundle(bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatalf("ReadBundle() error: %v", err)
	}
	if diff := cmp.Diff(files, got); diff != "" {
		t.Errorf("ReadBundle(WriteBundle(files)) (-want +got):\n%s", diff)
	}
	// The header fields that would make the archive depend on the machine.
	tr := tar.NewReader(mustGunzip(t, data))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || h.Mode != 0o644 || h.ModTime.Unix() != 0 {
			t.Errorf("entry %s: uid %d gid %d uname %q gname %q mode %o mtime %v; want fixed values",
				h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.Mode, h.ModTime)
		}
	}
}

func TestReadBundleRefuses(t *testing.T) {
	big := strings.Repeat("x", 2048)
	tests := []struct {
		name    string
		entries []entry
		limits  Limits
		want    string
	}{
		{"absolute path", []entry{file("/etc/passwd", "x")}, Limits{}, "absolute path"},
		{"dot-dot", []entry{file("api/../../evil.yaml", "x")}, Limits{}, "not clean"},
		{"dot-dot clean", []entry{file("../evil.yaml", "x")}, Limits{}, "leaves its directory"},
		{"not under a service", []entry{file("top.yaml", "x")}, Limits{}, "not <service>/<file>"},
		{"backslash", []entry{file(`api\..\x.yaml`, "x")}, Limits{}, "backslash"},
		{"symlink", []entry{{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "api/x.yaml", Linkname: "/etc/passwd"}}}, Limits{}, "is a link"},
		{"hard link", []entry{file("api/a.yaml", "x"), {hdr: tar.Header{Typeflag: tar.TypeLink, Name: "api/b.yaml", Linkname: "api/a.yaml"}}}, Limits{}, "is a link"},
		{"char device", []entry{{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "api/null", Devmajor: 1, Devminor: 3}}}, Limits{}, "device or FIFO"},
		{"block device", []entry{{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "api/sda"}}}, Limits{}, "device or FIFO"},
		{"fifo", []entry{{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "api/pipe"}}}, Limits{}, "device or FIFO"},
		{"duplicate", []entry{file("api/a.yaml", "x"), file("api/a.yaml", "y")}, Limits{}, "appears twice"},
		{"oversize file", []entry{file("api/a.yaml", big)}, Limits{BundleUnpacked: 1024}, "more than 1024 bytes"},
		{"oversize total", []entry{file("api/a.yaml", big[:800]), file("api/b.yaml", big[:800])}, Limits{BundleUnpacked: 1024}, "more than 1024 bytes"},
		{"too many files", []entry{file("api/a.yaml", ""), file("api/b.yaml", ""), file("api/c.yaml", "")}, Limits{BundleFiles: 2}, "more than 2 files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadBundle(bytes.NewReader(craft(t, tt.entries...)), tt.limits)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadBundle() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestReadBundleBomb checks a highly compressible bundle stops at the limit
// rather than being inflated whole.
func TestReadBundleBomb(t *testing.T) {
	huge := strings.Repeat("\x00", 8<<20)
	data := craft(t, file("api/a.yaml", huge))
	if len(data) > 64<<10 {
		t.Fatalf("bomb is %d bytes compressed; want a small one", len(data))
	}
	_, err := ReadBundle(bytes.NewReader(data), Limits{BundleUnpacked: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("ReadBundle(bomb) error = %v, want a size refusal", err)
	}
}

func TestReadBundleNotGzip(t *testing.T) {
	if _, err := ReadBundle(strings.NewReader("plain text"), Limits{}); err == nil {
		t.Error("ReadBundle(not gzip) = nil error")
	}
}

func FuzzReadBundle(f *testing.F) {
	_, files := samplePlan()
	good, _ := WriteBundle(files)
	f.Add(good)
	f.Add(craft(f, file("/abs", "x")))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadBundle(bytes.NewReader(data), Limits{BundleUnpacked: 1 << 20, BundleFiles: 100})
		if err != nil {
			return
		}
		var total int
		for p, d := range got {
			if err := checkBundlePath(p); err != nil {
				t.Errorf("ReadBundle accepted path %q: %v", p, err)
			}
			total += len(d)
		}
		if total > 1<<20 || len(got) > 100 {
			t.Errorf("ReadBundle exceeded its limits: %d bytes, %d files", total, len(got))
		}
	})
}
