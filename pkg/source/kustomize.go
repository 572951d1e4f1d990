package source

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// RenderedName is the bundle path, below the service, of the YAML that
// Kustomize renders from a service's kustomization.
const RenderedName = "kustomized.yaml"

// kustomizationNames are the file names Kustomize recognises, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// kustomizationIn returns the name of the kustomization file directly in
// tree, or "" when there is none.
func kustomizationIn(tree *object.Tree) string {
	for _, e := range tree.Entries {
		for _, n := range kustomizationNames {
			if e.Name == n && e.Mode.IsFile() {
				return n
			}
		}
	}
	return ""
}

// kustomize renders the kustomization in dir with Kustomize's own library
// (krusty), over an in-memory copy of the commit: no network, no exec or
// KRM plugins, no Helm, and files loaded only from below each
// kustomization's root. Bases and components must be in the commit.
func (s *Commit) kustomize(dir string) ([]byte, error) {
	fs, err := s.memFS()
	if err != nil {
		return nil, err
	}
	if err := checkLocal(fs, dir, map[string]bool{}); err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()
	m, err := krusty.MakeKustomizer(opts).Run(fs, "/"+dir)
	if err != nil {
		return nil, fmt.Errorf("rendering the kustomization: %w", err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("writing what the kustomization renders: %w", err)
	}
	return out, nil
}

// memFS returns the commit's regular files as an in-memory file system
// rooted at /, read once.
func (s *Commit) memFS() (filesys.FileSystem, error) {
	if s.fs != nil {
		return s.fs, nil
	}
	fs := filesys.MakeFsInMemory()
	err := s.tree.Files().ForEach(func(f *object.File) error {
		if f.Mode != filemode.Regular && f.Mode != filemode.Executable {
			return nil // symbolic links and submodules are not followed
		}
		data, err := readBlob(f)
		if err != nil {
			return fmt.Errorf("reading %s: %w", f.Name, err)
		}
		return fs.WriteFile("/"+f.Name, data)
	})
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", s.commit.Hash, err)
	}
	s.fs = fs
	return fs, nil
}

// checkLocal refuses a kustomization in dir, or one it builds on, that
// names a resource, base, component or plugin configuration that is not in
// the commit: Kustomize would fetch it (a remote base, cloned with git).
// A kustomization that uses Helm is refused too: render the chart with
// helm template and commit what it writes.
func checkLocal(fs filesys.FileSystem, dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	var file string
	for _, n := range kustomizationNames {
		if fs.Exists("/" + path.Join(dir, n)) {
			file = path.Join(dir, n)
			break
		}
	}
	if file == "" {
		return nil // a plain directory of resources
	}
	data, err := fs.ReadFile("/" + file)
	if err != nil {
		return fmt.Errorf("reading %s: %w", file, err)
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	k.FixKustomization() // bases are resources, old Helm fields helmCharts
	if len(k.HelmCharts) > 0 {
		return fmt.Errorf("%s: helmCharts are not rendered at bundle time: render the chart with helm template and commit its output", file)
	}
	for _, ref := range slices.Concat(k.Resources, k.Components, k.Generators, k.Transformers, k.Validators) {
		p := path.Join(dir, ref)
		if looksRemote(ref) || strings.HasPrefix(p, "..") || !fs.Exists("/"+p) {
			return fmt.Errorf("%s: %q is not in the commit: remote bases are not fetched; commit what it holds", file, ref)
		}
		if fs.IsDir("/" + p) {
			if err := checkLocal(fs, p, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// looksRemote reports whether a kustomization reference is a URL or a
// go-getter style repository spec, which Kustomize clones before it looks
// for a local directory of that name.
func looksRemote(ref string) bool {
	return strings.Contains(ref, "://") || strings.Contains(ref, "?ref=") || strings.HasSuffix(ref, ".git") || strings.Contains(ref, ".git/") ||
		strings.HasPrefix(ref, "git@") || strings.HasPrefix(ref, "github.com/") ||
		strings.HasPrefix(ref, "gitlab.com/") || strings.HasPrefix(ref, "bitbucket.org/")
}
