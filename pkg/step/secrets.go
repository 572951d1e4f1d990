package step

import (
	"slices"
	"strings"
)

// redacted replaces a secret value wherever the runtime prints or writes text.
const redacted = "***"

// minSecretLine is the shortest line of a multi-line secret that is redacted
// on its own; shorter lines (a PEM's blank or dash lines) would only blind
// the logs.
const minSecretLine = 4

// secrets holds the values of secret inputs and redacts them from text.
type secrets struct {
	values []string // whole values and lines of multi-line values, longest first
}

func newSecrets(inputs []Input, vals map[string]value) *secrets {
	s := &secrets{}
	for _, in := range inputs {
		if !in.Secret {
			continue
		}
		raw := vals[in.Name].raw
		if strings.TrimSpace(raw) == "" {
			continue
		}
		s.add(raw)
		if strings.Contains(raw, "\n") {
			for _, line := range strings.Split(raw, "\n") {
				if line = strings.TrimSpace(line); len(line) >= minSecretLine {
					s.add(line)
				}
			}
		}
	}
	// Longest first, so that a value containing another is replaced whole.
	slices.SortFunc(s.values, func(a, b string) int { return len(b) - len(a) })
	return s
}

func (s *secrets) add(v string) {
	if !slices.Contains(s.values, v) {
		s.values = append(s.values, v)
	}
}

// redact returns text with every secret value replaced by ***.
func (s *secrets) redact(text string) string {
	if s == nil {
		return text
	}
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, redacted)
		}
	}
	return text
}

// contains reports whether text holds any secret value.
func (s *secrets) contains(text string) bool {
	return s != nil && s.redact(text) != text
}

// maskLines returns the values GitHub must mask: each secret whole and each
// line of a multi-line secret.
func (s *secrets) maskValues() []string {
	if s == nil {
		return nil
	}
	return s.values
}
