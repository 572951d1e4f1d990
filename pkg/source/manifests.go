package source

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
)

// Manifests reads every service's Kubernetes YAML from the commit, as
// bundle paths <service>/<path below the directory>: the *.yaml and *.yml
// files in the service's directory and below or, when the directory holds a
// kustomization, what Kustomize renders from it as <service>/RenderedName.
// Every problem of every service is reported at once.
func (s *Commit) Manifests(cfg *config.Config) (map[string][]byte, error) {
	files := map[string][]byte{}
	var problems []string
	trees := map[string]*object.Tree{".": s.tree}
	for i, svc := range cfg.Services {
		where := fmt.Sprintf("services[%d].manifests (%s)", i, svc.Manifests)
		dir := path.Clean(svc.Manifests)
		sub, err := treeAt(trees, dir)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: no such directory in commit %s", where, s.commit.Hash.String()[:12]))
			continue
		}
		if kustomizationIn(sub) != "" {
			data, err := s.kustomize(dir)
			if err == nil {
				_, err = plan.CheckObjects(data)
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", where, err))
				continue
			}
			files[svc.Name+"/"+RenderedName] = data
			continue
		}
		found := 0
		err = sub.Files().ForEach(func(f *object.File) error {
			if !isYAML(f.Name) {
				return nil
			}
			if f.Mode == filemode.Symlink {
				problems = append(problems, fmt.Sprintf("%s: %s is a symbolic link; commit the file itself", where, f.Name))
				return nil
			}
			data, err := readBlob(f)
			if err != nil {
				return err
			}
			if _, err := plan.CheckObjects(data); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", where, f.Name, err))
				return nil
			}
			files[svc.Name+"/"+f.Name] = data
			found++
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", where, err)
		}
		if found == 0 && !hasProblem(problems, where) {
			problems = append(problems, fmt.Sprintf("%s: no *.yaml or *.yml files", where))
		}
	}
	if len(problems) > 0 {
		return nil, outcome.Invalidf("manifests: %d problem(s)\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return files, nil
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

func hasProblem(problems []string, prefix string) bool {
	for _, p := range problems {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
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
