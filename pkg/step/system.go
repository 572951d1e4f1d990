package step

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// System is a CI system the step writes its outputs for.
type System string

const (
	GitHub System = "github" // GitHub Actions: GITHUB_OUTPUT, step summary, workflow commands
	GitLab System = "gitlab" // GitLab CI: a dotenv report artifact
	Tekton System = "tekton" // Tekton: one file per result in the results directory
	Local  System = "local"  // anywhere else: one JSON object of all outputs on stdout
)

// detect picks the CI system: the ci input when it is not auto, else
// GITHUB_ACTIONS=true, GITLAB_CI=true, a results-dir, or local.
func detect(ci, resultsDir string, env map[string]string) System {
	switch {
	case ci != "" && ci != "auto":
		return System(ci)
	case env["GITHUB_ACTIONS"] == "true":
		return GitHub
	case env["GITLAB_CI"] == "true":
		return GitLab
	case resultsDir != "":
		return Tekton
	}
	return Local
}

// outputValue is one output as it will be written.
type outputValue struct {
	name  string
	value string
}

// console is how a step talks to the person reading its CI log: masking,
// groups, annotations and the summary. Each System's sink implements it.
type console interface {
	mask(values []string)
	group(title string) (end func())
	annotate(level slog.Level, msg string)
	summary(markdown string)
}

// sink writes a step's outputs for one CI system. write validates every
// output first and writes nothing when any is refused.
type sink interface {
	console
	write(outs []outputValue) error
	// targets lists the files (and directory) write and summary use.
	targets() []writeTarget
}

// plainConsole is the console of every system but GitHub: everything goes to
// the log, the summary to summary-file or stderr.
type plainConsole struct {
	log         *slog.Logger
	stderr      io.Writer
	summaryFile string
}

func (c *plainConsole) mask([]string) {}

func (c *plainConsole) group(title string) func() {
	c.log.Info("== " + title + " ==")
	return func() {}
}

func (c *plainConsole) annotate(level slog.Level, msg string) {
	c.log.Log(context.Background(), level, msg)
}

func (c *plainConsole) summary(markdown string) {
	if c.summaryFile != "" {
		if err := appendFile(c.summaryFile, escapeControl(markdown, "\n\t")); err != nil {
			c.log.Warn("writing the step summary", "file", c.summaryFile, "error", err)
		}
		return
	}
	fmt.Fprintln(c.stderr, consoleText(markdown))
}

// appendFile appends text and a newline to the file at path, creating it.
func appendFile(path, text string) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	_, err = io.WriteString(f, text+"\n")
	return err
}
