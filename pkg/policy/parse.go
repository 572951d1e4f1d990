package policy

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/yamldoc"
)

// MaxSize is the largest policy file accepted.
const MaxSize = 1 << 20

// Problem is one thing wrong with a policy file: package yamldoc's, the one
// problem type of every file aviary reads from its users. Path locates the
// value (images.allowedRegistries[1]); a policy's messages name the line
// alone.
type Problem = yamldoc.Problem

// Problems is every problem found in one policy file.
type Problems struct {
	File string
	List []Problem
}

func (ps *Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy %s: ", ps.File)
	if len(ps.List) == 1 {
		b.WriteString(lineOnly(ps.List[0]))
		return b.String()
	}
	fmt.Fprintf(&b, "%d problems", len(ps.List))
	for _, p := range ps.List {
		b.WriteString("\n  " + lineOnly(p))
	}
	return b.String()
}

// lineOnly is a problem as a policy's message says it: at its line alone.
func lineOnly(p Problem) string {
	p.Column = 0
	return p.String()
}

// Read reads and parses the policy file at path. Problems are
// outcome.Invalid holding a *Problems.
func Read(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, outcome.Invalidf("reading policy: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a policy strictly, as package config reads aviary.yaml
// (yamldoc.DecodeStrict): unknown fields, duplicate keys, values of the
// wrong type and invalid values are all reported at once, in the order of
// the file, with their path and line. name is how the user knows the file.
func Parse(name string, data []byte) (*Policy, error) {
	invalid := func(list ...Problem) error {
		yamldoc.SortProblems(list)
		return outcome.Invalid(&Problems{File: name, List: list})
	}
	if len(data) > MaxSize {
		return nil, invalid(Problem{Message: fmt.Sprintf("file is %d bytes, more than the %d accepted", len(data), MaxSize)})
	}
	var p Policy
	doc, problems := yamldoc.DecodeStrict(data, yamldoc.Limits{Size: MaxSize}, "policy", &p)
	if doc == nil {
		return nil, invalid(problems...)
	}
	for _, pr := range p.Validate() {
		pr.Line, pr.Column = doc.Locate(pr.Path)
		problems = append(problems, pr)
	}
	if len(problems) > 0 {
		return nil, invalid(problems...)
	}
	return &p, nil
}

// Validate returns every problem of a decoded policy, with paths.
func (p *Policy) Validate() []Problem {
	var out []Problem
	add := func(path, format string, args ...any) {
		out = append(out, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if p.APIVersion != APIVersion {
		add("apiVersion", "must be %q, not %q", APIVersion, p.APIVersion)
	}
	if p.Kind != Kind {
		add("kind", "must be %q, not %q", Kind, p.Kind)
	}
	for i, r := range p.Images.AllowedRegistries {
		path := fmt.Sprintf("images.allowedRegistries[%d]", i)
		switch {
		case strings.TrimSpace(r) == "":
			add(path, "is empty")
		case strings.Contains(r, "://"):
			add(path, "%q: give a registry host and path, without a scheme", r)
		case hasTagOrDigest(r):
			add(path, "%q: give a registry host and path, without tag or digest", r)
		}
	}
	seenTypes := map[string]bool{}
	for i, t := range p.Images.RequiredAttestations {
		path := fmt.Sprintf("images.requiredAttestations[%d]", i)
		if err := checkPredicateType(t); err != nil {
			add(path, "%v", err)
		}
		if seenTypes[t] {
			add(path, "%q is listed twice", t)
		}
		seenTypes[t] = true
	}
	seenServices := map[string]bool{}
	for i, e := range p.Exceptions {
		path := fmt.Sprintf("exceptions[%d]", i)
		switch {
		case e.Service == "":
			add(path+".service", "is required")
		case seenServices[e.Service]:
			add(path+".service", "%q has another exception already; merge them", e.Service)
		}
		seenServices[e.Service] = true
		if strings.TrimSpace(e.Reason) == "" {
			add(path+".reason", "is required: say why the exception is acceptable")
		}
		if !e.AllowUnsigned && !e.AllowAnyRegistry && len(e.SkipAttestations) == 0 {
			add(path, "relaxes nothing: set allowUnsigned, allowAnyRegistry or skipAttestations")
		}
		for j, t := range e.SkipAttestations {
			if t != AllAttestations && !seenTypes[t] {
				add(fmt.Sprintf("%s.skipAttestations[%d]", path, j), "%q is not in images.requiredAttestations", t)
			}
		}
	}
	return out
}

func checkPredicateType(t string) error {
	if t == "" {
		return errors.New("is empty")
	}
	u, err := url.Parse(t)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("%q is not a predicate type URI such as https://slsa.dev/provenance/v1", t)
	}
	return nil
}

// hasTagOrDigest reports whether a registry prefix names more than a
// repository: a digest, a space, or a tag after the host (host:port is fine).
func hasTagOrDigest(prefix string) bool {
	if strings.ContainsAny(prefix, "@ \t") {
		return true
	}
	_, path, ok := strings.Cut(prefix, "/")
	return ok && strings.Contains(path, ":")
}
