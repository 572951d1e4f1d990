package source

import (
	"fmt"
	"io"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

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
// Every problem of every service is reported at once, in the order of the
// services and their files.
func (s *Commit) Manifests(cfg *config.Config) (map[string][]byte, error) {
	var read []manifest // in order, with the problems found on the way
	problem := func(format string, args ...any) {
		read = append(read, manifest{problem: fmt.Sprintf(format, args...)})
	}
	trees := map[string]*object.Tree{".": s.tree}
	for i, svc := range cfg.Services {
		where := fmt.Sprintf("services[%d].manifests (%s)", i, svc.Manifests)
		dir := path.Clean(svc.Manifests)
		sub, err := treeAt(trees, dir)
		if err != nil {
			problem("%s: no such directory in commit %s", where, s.commit.Hash.String()[:12])
			continue
		}
		if kustomizationIn(sub) != "" {
			data, err := s.kustomize(dir)
			if err != nil {
				problem("%s: %v", where, err)
				continue
			}
			read = append(read, manifest{where: where, path: svc.Name + "/" + RenderedName, data: data})
			continue
		}
		found := 0
		err = sub.Files().ForEach(func(f *object.File) error {
			if !isYAML(f.Name) {
				return nil
			}
			found++
			if f.Mode == filemode.Symlink {
				problem("%s: %s is a symbolic link; commit the file itself", where, f.Name)
				return nil
			}
			data, err := readBlob(f)
			if err != nil {
				return err
			}
			read = append(read, manifest{where: where, name: f.Name + ": ", path: svc.Name + "/" + f.Name, data: data})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", where, err)
		}
		if found == 0 {
			problem("%s: no *.yaml or *.yml files", where)
		}
	}
	if problems := checkAll(read); len(problems) > 0 {
		return nil, outcome.Invalidf("manifests: %d problem(s)\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	files := make(map[string][]byte, len(read))
	for _, m := range read {
		files[m.path] = m.data // no problems: every entry is a file
	}
	return files, nil
}

// manifest is one file read for a service, not yet checked, or a problem
// found before reading one.
type manifest struct {
	where   string // the service's manifests entry, for problems
	name    string // "<file>: " for problems; empty for a rendered kustomization
	path    string // its bundle path
	data    []byte
	problem string // set: not a file but this problem
}

// checkAll checks every file with plan.CheckObjects, shared out over the
// CPUs (parsing YAML is most of bundle-plan's own time), and returns the
// problems, those found before among them, in the order of read.
func checkAll(read []manifest) []string {
	found := make([]string, len(read))
	for i, m := range read {
		found[i] = m.problem
	}
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(read)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(read); i = int(next.Add(1)) - 1 {
				if read[i].problem != "" {
					continue
				}
				if _, err := plan.CheckObjects(read[i].data); err != nil {
					found[i] = fmt.Sprintf("%s: %s%v", read[i].where, read[i].name, err)
				}
			}
		})
	}
	wg.Wait()
	var problems []string
	for _, p := range found {
		if p != "" {
			problems = append(problems, p)
		}
	}
	return problems
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
