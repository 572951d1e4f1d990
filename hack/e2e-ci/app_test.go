package e2eci

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/signature"
)

// app is a copy of examples/sample-app as a git repository, released into
// its own namespace with its images in the local registry: one per runner,
// so that each test can run alone.
type app struct {
	f         *fixture
	dir       string // the git work tree: the CI workspace
	product   string
	namespace string
	services  []string
	repo      *git.Repository
	clock     time.Time
}

// newApp copies the sample app into a new workspace for product.
func (f *fixture) newApp(t *testing.T, product string) *app {
	t.Helper()
	a := &app{f: f, dir: filepath.Join(t.TempDir(), product), product: product, namespace: product,
		clock: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	src := filepath.Join(f.root, "examples", "sample-app")
	if err := os.CopyFS(a.dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(a.dir, "aviary.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer(
		"localhost:5000/shop/", f.env.Registry.Host+"/"+product+"/",
		"product: shop", "product: "+product,
		"namespace: shop", "namespace: "+product,
		"pause: 5s", "pause: 1s",
	).Replace(string(data))
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(s, "\n") {
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "- name: "); ok {
			a.services = append(a.services, n)
		}
	}
	if a.repo, err = git.PlainInitWithOptions(a.dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.Main},
	}); err != nil {
		t.Fatal(err)
	}
	// Files the CI runs put into the workspace stay out of the commits.
	if err := os.MkdirAll(filepath.Join(a.dir, ".git", "info"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.dir, ".git", "info", "exclude"), []byte(".aviary/\naviary.env\n.kubeconfig\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.env.Clusters[0].EnsureNamespace(ctx, a.namespace); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *app) planRepo() string { return a.f.env.Registry.Host + "/" + a.product + "/plans" }

// commit changes every service's source and commits with message.
func (a *app) commit(t *testing.T, message string) {
	t.Helper()
	for _, s := range a.services {
		p := filepath.Join(a.dir, "src", s, "CHANGES")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		old, _ := os.ReadFile(p)
		if err := os.WriteFile(p, append(old, []byte(message+"\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wt, err := a.repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	a.clock = a.clock.Add(time.Hour)
	sig := &object.Signature{Name: "Dev", Email: "dev@shop.example", When: a.clock}
	if _, err := wt.Commit(message, &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		t.Fatal(err)
	}
}

// pushImages pushes and signs a new image of every service tagged version,
// as the application's own build would.
func (a *app) pushImages(t *testing.T, version string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	priv, err := os.ReadFile(a.f.key.Private)
	if err != nil {
		t.Fatal(err)
	}
	client := registry.New(registry.Options{})
	for _, s := range a.services {
		l, err := random.Layer(256, types.OCILayer)
		if err != nil {
			t.Fatal(err)
		}
		img, err := mutate.AppendLayers(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), l)
		if err != nil {
			t.Fatal(err)
		}
		tag, err := name.NewTag(a.f.env.Registry.Host + "/" + a.product + "/" + s + ":" + version)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := signature.SignArtifact(ctx, client, tag.Context().Digest(d.String()).String(), priv, []byte(a.f.key.Password), signature.SignOptions{}); err != nil {
			t.Fatalf("signing the %s image: %v", s, err)
		}
	}
}

// chown gives the workspace to uid:gid, as a CI system's checkout does.
func (a *app) chown(t *testing.T, uid, gid int, mode fs.FileMode) {
	t.Helper()
	err := filepath.WalkDir(a.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			return err
		}
		if mode != 0 && d.Type()&fs.ModeSymlink == 0 {
			m := mode
			if d.IsDir() {
				m |= 0o111
			}
			return os.Chmod(p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// chownTree gives every file under dir to uid:gid.
func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// kubeconfig writes the cluster's kubeconfig into the workspace (.aviary/,
// excluded from git) and returns its workspace-relative path.
func (a *app) kubeconfig(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(a.f.env.Clusters[0].Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(a.dir, ".aviary", "kubeconfig")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return ".aviary/kubeconfig"
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var _ = fmt.Sprintf
