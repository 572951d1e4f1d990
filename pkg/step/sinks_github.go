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
)

// githubSink writes outputs to the GITHUB_OUTPUT file and talks to the
// runner with workflow commands on stdout.
type githubSink struct {
	stdout      io.Writer
	log         *slog.Logger
	stderr      io.Writer
	outputFile  string // GITHUB_OUTPUT
	summaryFile string // GITHUB_STEP_SUMMARY
	delimiter   func() string
}

func newGitHubSink(stdout, stderr io.Writer, log *slog.Logger, env map[string]string) *githubSink {
	return &githubSink{
		stdout:      stdout,
		log:         log,
		stderr:      stderr,
		outputFile:  env["GITHUB_OUTPUT"],
		summaryFile: env["GITHUB_STEP_SUMMARY"],
		delimiter:   randomDelimiter,
	}
}

// command writes the workflow command ::name::message, with '%' and line
// breaks of the message escaped as the actions toolkit does. A failed write
// is told on stderr: there is nowhere else to tell it.
func (g *githubSink) command(what, name, message string) {
	message = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(message)
	if _, err := fmt.Fprintf(g.stdout, "::%s::%s\n", name, message); err != nil {
		fmt.Fprintf(g.stderr, "aviary: writing GitHub %s: %v\n", what, err)
	}
}

func (g *githubSink) mask(values []string) {
	for _, v := range values {
		g.command("mask", "add-mask", v)
	}
}

// group and annotate write commandText; command escapes '%' and
// line breaks in command messages.
func (g *githubSink) group(title string) func() {
	title = commandText(title)
	g.command("group", "group", title)
	ended := false
	return func() {
		if !ended {
			ended = true
			g.command("group", "endgroup", "")
		}
	}
}

func (g *githubSink) annotate(level slog.Level, msg string) {
	msg = commandText(msg)
	switch {
	case level >= slog.LevelError:
		g.command("annotation", "error", msg)
	case level >= slog.LevelWarn:
		g.command("annotation", "warning", msg)
	default:
		g.command("annotation", "notice", msg)
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
