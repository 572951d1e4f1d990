package source

import (
	"fmt"
	"io"
	"path"
	"runtime"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/sync/errgroup"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
)

// Manifests reads every service's Kubernetes YAML from the commit, as
// bundle paths <service>/<path below the directory>: the *.yaml and *.yml
// files in the service's directory and below or, when the directory holds a
// kustomization, what Kustomize renders from it as <service>/RenderedName.
// Every problem of every service is reported at once.
//
// The git objects are read in one goroutine; the files are then checked
// (plan.CheckObjects, a YAML parse each) on every CPU at once.
func (s *Commit) Manifests(cfg *config.Config) (map[string][]byte, error) {
	var read []manifestFile
	var problems []string
	trees := map[string]*object.Tree{".": s.tree}
	for i, svc := range cfg.Services {
		where := fmt.Sprintf("services[%d].manifests (%s)", i, svc.Manifests)
		dir := path.Clean(svc.Manifests)
		sub, err := treeAt(trees, dir)
		if err != nil {
			read = append(read, manifestFile{problem: fmt.Sprintf("%s: no such directory in commit %s", where, s.commit.Hash.String()[:12])})
			continue
		}
		if kustomizationIn(sub) != "" {
			data, err := s.kustomize(dir)
			if err != nil {
				read = append(read, manifestFile{problem: fmt.Sprintf("%s: %v", where, err)})
				continue
			}
			read = append(read, manifestFile{where: where, path: svc.Name + "/" + RenderedName, data: data})
			continue
		}
		found := 0
		err = sub.Files().ForEach(func(f *object.File) error {
			if !isYAML(f.Name) {
				return nil
			}
			found++
			if f.Mode == filemode.Symlink {
				read = append(read, manifestFile{problem: fmt.Sprintf("%s: %s is a symbolic link; commit the file itself", where, f.Name)})
				return nil
			}
			data, err := readBlob(f)
			if err != nil {
				return err
			}
			read = append(read, manifestFile{where: where + ": " + f.Name, path: svc.Name + "/" + f.Name, data: data})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", where, err)
		}
		if found == 0 {
			read = append(read, manifestFile{problem: fmt.Sprintf("%s: no *.yaml or *.yml files", where)})
		}
	}
	checkAll(read)
	files := make(map[string][]byte, len(read))
	for _, m := range read {
		if m.problem != "" {
			problems = append(problems, m.problem)
			continue
		}
		files[m.path] = m.data
	}
	if len(problems) > 0 {
		return nil, outcome.Invalidf("manifests: %d problem(s)\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return files, nil
}

// manifestFile is one file read for the bundle, or a problem found instead.
type manifestFile struct {
	where   string // for messages: the service's manifests and the file
	path    string // bundle path
	data    []byte
	problem string
}

// checkAll checks the files that were read (plan.CheckObjects) on every
// CPU at once, recording each refusal as the file's problem.
func checkAll(files []manifestFile) {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range files {
		m := &files[i]
		if m.problem != "" {
			continue
		}
		g.Go(func() error {
			if _, err := plan.CheckObjects(m.data); err != nil {
				m.problem = fmt.Sprintf("%s: %v", m.where, err)
			}
			return nil
		})
	}
	_ = g.Wait() // the checks record problems, never fail
}

// treeAt finds the tree at dir, remembering every tree on the way in
// trees: services' directories usually share parents (deploy/<service>),
// which are then decoded once instead of once per service.
func treeAt(trees map[string]*object.Tree, dir string) (*object.Tree, error) {
	if t, ok := trees[dir]; ok {
		return t, nil
	}
	parent, err := treeAt(trees, path.Dir(dir))
	if err != nil {
		return nil, err
	}
	t, err := parent.Tree(path.Base(dir))
	if err != nil {
		return nil, err
	}
	trees[dir] = t
	return t, nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

func readBlob(f *object.File) ([]byte, error) {
	r, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
