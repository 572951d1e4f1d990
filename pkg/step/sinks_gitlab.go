package step

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// GitLab's limits on a dotenv report.
const (
	GitLabDotenvMaxBytes = 5 * 1024 // the whole file
	GitLabDotenvMaxVars  = 50       // variables in one report
)

var dotenvKey = regexp.MustCompile(`^[A-Z0-9_]+$`)

// DotenvKey is the dotenv variable an output is written as: the name
// upper-cased with hyphens replaced by underscores (plan-ref → PLAN_REF).
func DotenvKey(output string) string {
	return strings.ToUpper(strings.ReplaceAll(output, "-", "_"))
}

// gitlabSink writes every output into a dotenv file that the job declares as
// an artifacts:reports:dotenv report; later jobs see the outputs as
// variables.
type gitlabSink struct {
	plainConsole
	path string
}

// dotenv renders outs as KEY=value lines after checking GitLab's rules.
func dotenv(outs []outputValue) (string, error) {
	if len(outs) > GitLabDotenvMaxVars {
		return "", fmt.Errorf("%d outputs, GitLab accepts at most %d", len(outs), GitLabDotenvMaxVars)
	}
	var b strings.Builder
	for _, o := range outs {
		key := DotenvKey(o.name)
		if !dotenvKey.MatchString(key) {
			return "", fmt.Errorf("output %q: key %q does not match [A-Z0-9_]+", o.name, key)
		}
		if strings.ContainsAny(o.value, "\r\n") {
			return "", fmt.Errorf("output %q: GitLab dotenv values must be a single line", o.name)
		}
		if needsEscape(o.value, "\t") {
			return "", fmt.Errorf("output %q: GitLab dotenv values cannot carry control characters", o.name)
		}
		fmt.Fprintf(&b, "%s=%s\n", key, o.value)
	}
	if b.Len() > GitLabDotenvMaxBytes {
		return "", fmt.Errorf("the dotenv report takes %d bytes, GitLab accepts at most %d", b.Len(), GitLabDotenvMaxBytes)
	}
	return b.String(), nil
}

func (g *gitlabSink) write(outs []outputValue) error {
	if len(outs) == 0 {
		return nil
	}
	text, err := dotenv(outs)
	if err != nil {
		return fmt.Errorf("writing GitLab dotenv %q: %w", g.path, err)
	}
	if err := os.WriteFile(g.path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("writing GitLab dotenv: %w", err)
	}
	return nil
}
