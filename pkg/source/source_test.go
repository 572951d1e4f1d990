package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/release"
)

func TestWithoutCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://x-access-token:s3cr3t@github.com/acme/shop.git": "https://github.com/acme/shop.git",
		"https://gitlab-ci-token:abc@gitlab.example/acme/shop":   "https://gitlab.example/acme/shop",
		"https://github.com/acme/shop.git":                       "https://github.com/acme/shop.git",
		"git@github.com:acme/shop.git":                           "git@github.com:acme/shop.git",
		"/srv/git/shop.git":                                      "/srv/git/shop.git",
	} {
		if got := withoutCredentials(in); got != want {
			t.Errorf("withoutCredentials(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsYAML(t *testing.T) {
	for name, want := range map[string]bool{"a.yaml": true, "b/c.yml": true, "README.md": false, "x.yaml.bak": false, "kustomization.json": false} {
		if got := isYAML(name); got != want {
			t.Errorf("isYAML(%q) = %v, want %v", name, got, want)
		}
	}
}

// commit makes a repository holding files (path: content) in one commit on
// branch, in the work tree and in git, and opens it. The work tree is then
// emptied: only git objects count.
func commit(t *testing.T, branch string, files map[string]string) *Commit {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			t.Fatal(err)
		}
	}
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}
	if _, err := wt.Commit("release", &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch), Create: true}); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		_ = os.Remove(filepath.Join(dir, filepath.FromSlash(name)))
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
spec:
  replicas: 1
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
        - name: cart
          image: registry.example/shop/cart
`

func TestManifestsRendersKustomization(t *testing.T) {
	c := commit(t, "main", map[string]string{
		"deploy/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
		"deploy/base/deployment.yaml":    deployment,
		"deploy/cart/kustomization.yaml": `resources:
  - ../base
patches:
  - target: {kind: Deployment, name: cart}
    patch: |
      - op: replace
        path: /spec/replicas
        value: 3
configMapGenerator:
  - name: cart-config
    files: [app.properties]
    literals: [MODE=canary]
`,
		"deploy/cart/app.properties": "greeting=hello\n",
	})
	cfg := &config.Config{Services: []config.Service{{Name: "cart", Manifests: "deploy/cart"}}}
	files, err := c.Manifests(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Fatalf("Manifests() = %d files, want one rendered file", len(files))
	}
	got := string(files["cart/"+RenderedName])
	for _, want := range []string{"kind: ConfigMap", "name: cart-config-", "MODE: canary", "greeting=hello", "kind: Deployment", "replicas: 3"} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered manifests lack %q:\n%s", want, got)
		}
	}
	if n, err := plan.CheckObjects([]byte(got)); err != nil || n != 2 {
		t.Errorf("CheckObjects(rendered) = %d, %v; want 2 objects", n, err)
	}
}

func TestManifestsRefusesRemoteBase(t *testing.T) {
	for name, base := range map[string]string{
		"url":     "https://github.com/acme/shop//deploy/base?ref=v1",
		"getter":  "github.com/acme/shop/deploy/base?ref=v1",
		"missing": "../nowhere",
		"outside": "../../../etc",
	} {
		t.Run(name, func(t *testing.T) {
			c := commit(t, "main", map[string]string{
				"deploy/cart/kustomization.yaml": "resources:\n  - " + base + "\n  - deployment.yaml\n",
				"deploy/cart/deployment.yaml":    deployment,
			})
			cfg := &config.Config{Services: []config.Service{{Name: "cart", Manifests: "deploy/cart"}}}
			_, err := c.Manifests(cfg)
			if outcome.KindOf(err) != outcome.KindInvalid {
				t.Fatalf("Manifests() = %v, want an Invalid error", err)
			}
			for _, want := range []string{"deploy/cart/kustomization.yaml", "not in the commit"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Manifests() = %v, want it to name %q", err, want)
				}
			}
		})
	}
}

func TestVersionFollowsBranchPattern(t *testing.T) {
	pattern, err := release.ParseBranchPattern("releases/vX.Y.Z")
	if err != nil {
		t.Fatal(err)
	}
	c := commit(t, "releases/v2.1.0", map[string]string{"README": "x\n"})
	got, err := c.Version("", pattern, func(string) string { return "" })
	if err != nil || got != "2.1.0" {
		t.Errorf("Version() = %q, %v; want 2.1.0", got, err)
	}
	def, err := release.ParseBranchPattern(release.DefaultBranchPattern)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Version("", def, func(string) string { return "" }); err == nil {
		t.Errorf("Version() with %s on branch releases/v2.1.0 = %q, want an error", def, got)
	}
}

// TestManifestsReportsEveryProblem checks that the files of every service
// are read and checked and that every problem is reported at once, in the
// order of the services.
func TestManifestsReportsEveryProblem(t *testing.T) {
	files := map[string]string{
		"deploy/cart/deployment.yaml": deployment,
		"deploy/cart/service.yml":     "apiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n",
		"deploy/docs/README.md":       "no manifests here\n",
		"deploy/shop/a.yaml":          "apiVersion: v1\nmetadata:\n  name: shop\n",
		"deploy/shop/b.yaml":          "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\n",
		"deploy/shop/c.yaml":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
	}
	c := commit(t, "main", files)
	got, err := c.Manifests(&config.Config{Services: []config.Service{{Name: "cart", Manifests: "deploy/cart"}}})
	if err != nil {
		t.Fatalf("Manifests(cart) = %v", err)
	}
	if len(got) != 2 || string(got["cart/deployment.yaml"]) != deployment || got["cart/service.yml"] == nil {
		t.Errorf("Manifests(cart) = %d files %v, want deployment.yaml and service.yml", len(got), keys(got))
	}

	cfg := &config.Config{Services: []config.Service{
		{Name: "cart", Manifests: "deploy/cart"},
		{Name: "gone", Manifests: "deploy/gone"},
		{Name: "shop", Manifests: "deploy/shop"},
		{Name: "docs", Manifests: "deploy/docs"},
	}}
	_, err = c.Manifests(cfg)
	if outcome.KindOf(err) != outcome.KindInvalid {
		t.Fatalf("Manifests() = %v, want an Invalid error", err)
	}
	want := "manifests: 4 problem(s)\n" +
		"  services[1].manifests (deploy/gone): no such directory in commit " + c.Hash()[:12] + "\n" +
		"  services[2].manifests (deploy/shop): a.yaml: document 1: kind is missing\n" +
		"  services[2].manifests (deploy/shop): c.yaml: document 1 (ConfigMap): metadata.name is missing\n" +
		"  services[3].manifests (deploy/docs): no *.yaml or *.yml files"
	if err.Error() != want {
		t.Errorf("Manifests() error =\n%s\nwant\n%s", err, want)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
