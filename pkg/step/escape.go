package step

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text that a step did not write itself — a service name from a plan, an
// error a registry sent, a line of a git commit — reaches the CI log through
// the logger, the annotations, the groups and the summary. The runtime makes
// it inert there, once, in the writers:
//
//   - control characters (ANSI escape sequences, carriage returns, NUL, the
//     C1 range) and the Unicode bidirectional overrides are written as Go
//     escapes (\x1b, \u202e), so that nothing can recolour, overwrite or
//     reorder what the log shows;
//   - a line break inside a log message starts a new line that carries the
//     step's prefix too, so no line of the log starts with text from outside;
//   - GitHub's workflow-command markers are broken: "##[" (which the runner
//     looks for anywhere in a line) becomes "##\[", and a summary line
//     printed to stderr that would start with "::" starts with "\::".
//
// Outputs are not escaped: each system's writer carries a value exactly or
// refuses it (see the package documentation).

// escapeControl writes every control character of s but those in keep as a
// Go escape, and invalid UTF-8 bytes as \x escapes.
func escapeControl(s, keep string) string {
	if !needsEscape(s, keep) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case isControl(r) && !strings.ContainsRune(keep, r):
			if r < 0x80 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s, keep string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || isControl(r) && !strings.ContainsRune(keep, r) {
			return true
		}
		i += size
	}
	return false
}

// isControl reports whether r is a C0 or C1 control character, DEL, or a
// Unicode bidirectional embedding, override or isolate.
func isControl(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return true
	}
	return false
}

// commandMarker is GitHub's legacy workflow-command prefix; the runner
// finds it anywhere in a line of stdout or stderr.
const commandMarker = "##["

// breakCommands makes one line of console text inert for the GitHub runner.
func breakCommands(line string) string {
	line = strings.ReplaceAll(line, commandMarker, `##\[`)
	if strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") {
		i := strings.Index(line, "::")
		line = line[:i] + `\` + line[i:]
	}
	return line
}

// commandText makes the message of a workflow command inert: control
// characters escaped (line breaks and tabs kept, as the command writer encodes
// them) and the legacy command marker broken.
func commandText(msg string) string {
	return strings.ReplaceAll(escapeControl(msg, "\n\t"), commandMarker, `##\[`)
}

// consoleText makes text safe to print on stdout or stderr, line by line:
// control characters escaped (line breaks and tabs kept) and workflow
// commands broken.
func consoleText(text string) string {
	lines := strings.Split(escapeControl(text, "\n\t"), "\n")
	for i, l := range lines {
		lines[i] = breakCommands(l)
	}
	return strings.Join(lines, "\n")
}
