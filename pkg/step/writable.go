package step

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A place the step writes its outputs or summary to, checked before run:
// kind says what it is to the user ("GITHUB_OUTPUT", "results directory").
type writeTarget struct {
	kind, path string
	dir        bool
}

// targets lists where each sink writes; empty paths are left out.
func (g *githubSink) targets() []writeTarget {
	return []writeTarget{{kind: "GITHUB_OUTPUT", path: g.outputFile}, {kind: "GITHUB_STEP_SUMMARY", path: g.summaryFile}}
}

func (c *plainConsole) targets() []writeTarget {
	return []writeTarget{{kind: "summary-file", path: c.summaryFile}}
}

func (g *gitlabSink) targets() []writeTarget {
	return append(g.plainConsole.targets(), writeTarget{kind: "dotenv report", path: g.path})
}

func (t *tektonSink) targets() []writeTarget {
	return append(t.plainConsole.targets(), writeTarget{kind: "results directory", path: t.dir, dir: true})
}

// checkWritable probes, before the step acts, every file its outputs and
// summary go to and the results directory: a place the step's user may not write
// — a container running as another user than the one owning the runner's
// files — is a setup error (exit 2) found before anything changes, instead
// of an external failure after the work is done. A directory that does not
// exist is left to the sink, which creates it.
func checkWritable(targets []writeTarget) error {
	var errs []error
	for _, t := range targets {
		if t.path == "" {
			continue
		}
		if err := probe(t); err != nil {
			errs = append(errs, fmt.Errorf("the step cannot write its %s %s: %w", t.kind, t.path, err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w\nrun the step as a user that may write there: the runner's user, or the image's root variant for GitHub Docker actions (uid %d now)", errors.Join(errs...), os.Getuid())
}

// probe checks that t can be written without leaving anything behind: an
// existing file is opened for appending (and nothing appended); for a file
// not there yet, or the results directory, a temporary file is created in
// its directory and removed.
func probe(t writeTarget) error {
	dir := t.path
	if !t.dir {
		f, err := os.OpenFile(t.path, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			return f.Close()
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		dir = filepath.Dir(t.path)
	}
	f, err := os.CreateTemp(dir, ".aviary-probe-*")
	if t.dir && errors.Is(err, fs.ErrNotExist) {
		return nil // the sink creates the results directory
	}
	if err != nil {
		return err
	}
	name := f.Name()
	return errors.Join(f.Close(), os.Remove(name))
}
