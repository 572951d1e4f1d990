package step

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// githubSink writes outputs to the GITHUB_OUTPUT file and talks to the
// runner with workflow commands on stdout. go-githubactions formats the
// commands; every call is guarded because it panics when it cannot write.
type githubSink struct {
	gh          *githubactions.Action
	log         *slog.Logger
	stderr      io.Writer
	outputFile  string // GITHUB_OUTPUT
	summaryFile string // GITHUB_STEP_SUMMARY
	delimiter   func() string
}

func newGitHubSink(stdout, stderr io.Writer, log *slog.Logger, env map[string]string) *githubSink {
	return &githubSink{
		gh: githubactions.New(
			githubactions.WithWriter(stdout),
			githubactions.WithGetenv(func(k string) string { return env[k] }),
		),
		log:         log,
		stderr:      stderr,
		outputFile:  env["GITHUB_OUTPUT"],
		summaryFile: env["GITHUB_STEP_SUMMARY"],
		delimiter:   randomDelimiter,
	}
}

// guard runs a go-githubactions call and turns its panic into a log line.
func (g *githubSink) guard(what string, call func()) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(g.stderr, "aviary: writing GitHub %s: %v\n", what, r)
		}
	}()
	call()
}

func (g *githubSink) mask(values []string) {
	for _, v := range values {
		g.guard("mask", func() { g.gh.AddMask(v) })
	}
}

// group and annotate write commandText; go-githubactions escapes '%' and
// line breaks in command messages.
func (g *githubSink) group(title string) func() {
	title = commandText(title)
	g.guard("group", func() { g.gh.Group(title) })
	ended := false
	return func() {
		if !ended {
			ended = true
			g.guard("group", func() { g.gh.EndGroup() })
		}
	}
}

func (g *githubSink) annotate(level slog.Level, msg string) {
	msg = commandText(msg)
	switch {
	case level >= slog.LevelError:
		g.guard("annotation", func() { g.gh.Errorf("%s", msg) })
	case level >= slog.LevelWarn:
		g.guard("annotation", func() { g.gh.Warningf("%s", msg) })
	default:
		g.guard("annotation", func() { g.gh.Noticef("%s", msg) })
	}
}

func (g *githubSink) summary(markdown string) {
	if g.summaryFile == "" {
		fmt.Fprintln(g.stderr, consoleText(markdown))
		return
	}
	if err := appendFile(g.summaryFile, escapeControl(markdown, "\n\t")); err != nil {
		g.log.Warn("writing the step summary", "error", err)
	}
}

// write appends every output to GITHUB_OUTPUT as name<<delimiter blocks with
// a random delimiter, after checking that no value contains it.
func (g *githubSink) write(outs []outputValue) error {
	if len(outs) == 0 {
		return nil
	}
	if g.outputFile == "" {
		return errors.New("writing GitHub outputs: GITHUB_OUTPUT is not set")
	}
	delim := g.delimiter()
	var b strings.Builder
	for _, o := range outs {
		if strings.Contains(o.value, delim) || strings.Contains(o.name, delim) {
			return fmt.Errorf("writing GitHub outputs: output %q contains the delimiter %q", o.name, delim)
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.name, delim, o.value, delim)
	}
	f, err := os.OpenFile(g.outputFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing GitHub outputs: %w", err)
	}
	_, err = io.WriteString(f, b.String())
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("writing GitHub outputs: %w", err)
	}
	return nil
}

// randomDelimiter returns ghadelimiter_ and 32 random hex digits, as the
// actions toolkit does.
func randomDelimiter() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails; see crypto/rand.Read
	return "ghadelimiter_" + hex.EncodeToString(b)
}
