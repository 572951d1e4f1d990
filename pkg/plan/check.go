package plan

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aviary-cd/aviary/pkg/registry"
)

// maxSourceURL bounds the source repository URL a plan may carry.
const maxSourceURL = 2048

// maxListed is how many problems Check names before it stops counting.
const maxListed = 20

var commitPattern = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// Check verifies everything a reader relies on, and refuses any string that
// could reach a log, a summary or an output in a shape its writer did not
// expect: the document is a v1 release plan; the version is a semantic
// version short enough to be an OCI tag; the source commit is a full git
// hash and the source repository one printable line; every service has a
// DNS-1123 label for a name (as the config requires), an image pinned by a
// valid digest, a valid tag, a port and manifest paths under its name; and
// the config the plan carries validates as aviary.yaml does.
//
// Read refuses a plan that does not check (outcome.Invalid), and Pack — so
// bundle-plan — refuses to build one. Every problem is reported, each with
// its path (services[2].name) and the rule it breaks.
func (p *Plan) Check() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.APIVersion != APIVersion || p.Kind != Kind {
		return fmt.Errorf("not a release plan: apiVersion %s, kind %s; want %s %s", quote(p.APIVersion), quote(p.Kind), APIVersion, Kind)
	}
	if err := CheckVersion(p.Version); err != nil {
		add("version: %w", err)
	}
	if !commitPattern.MatchString(p.Source.Commit) {
		add("source.commit: %s is not a full git commit hash (40 or 64 lower-case hex digits)", quote(p.Source.Commit))
	}
	if msg := checkLine(p.Source.Repository, maxSourceURL); msg != "" {
		add("source.repository: %s", msg)
	}
	if len(p.Services) == 0 {
		add("services: the plan has no services")
	}
	seen := map[string]int{}
	for i, s := range p.Services {
		at := fmt.Sprintf("services[%d]", i)
		if msgs := validation.IsDNS1123Label(s.Name); len(msgs) > 0 {
			add("%s.name: %s is not a DNS-1123 label: %s", at, quote(s.Name), strings.Join(msgs, "; "))
			continue // the rest names the service
		}
		if j, dup := seen[s.Name]; dup {
			add("%s.name: duplicate service %q (also services[%d])", at, s.Name, j)
		}
		seen[s.Name] = i
		if msg := checkImage(s.Image); msg != "" {
			add("%s.image (service %s): %s", at, s.Name, msg)
		}
		if s.Tag != "" {
			if err := registry.ValidTag(s.Tag); err != nil {
				add("%s.tag (service %s): %s is not a valid tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", at, s.Name, quote(s.Tag))
			}
		}
		if s.Port < 0 || s.Port > 65535 {
			add("%s.port (service %s): %d is not a port (0-65535)", at, s.Name, s.Port)
		}
		for j, m := range s.Manifests {
			switch err := checkBundlePath(m); {
			case err != nil:
				add("%s.manifests[%d] (service %s): %w", at, j, s.Name, err)
			case !strings.HasPrefix(m, s.Name+"/"):
				add("%s.manifests[%d] (service %s): %s is outside %s/", at, j, s.Name, quote(m), s.Name)
			}
		}
	}
	for _, pr := range p.Config.Validate() {
		add("config.%s", pr)
	}
	return joinProblems(errs)
}

// checkImage accepts a registry image reference pinned by digest, without
// a tag: repository@sha256:...
func checkImage(image string) string {
	r, err := registry.ParseReference(image)
	switch {
	case err != nil || r.IsLayout():
		return fmt.Sprintf("%s is not a registry image reference", quote(image))
	case r.Digest == "" || r.Tag != "":
		return fmt.Sprintf("%s is not pinned by digest (repository@sha256:...)", quote(image))
	}
	if err := r.Digest.Validate(); err != nil {
		return fmt.Sprintf("%s: %v", quote(image), err)
	}
	return ""
}

// checkLine accepts an empty string or one line of printable text of at
// most limit bytes.
func checkLine(s string, limit int) string {
	switch {
	case len(s) > limit:
		return fmt.Sprintf("%d bytes, more than the %d accepted", len(s), limit)
	case !utf8.ValidString(s):
		return fmt.Sprintf("%s is not UTF-8", quote(s))
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("%s holds the unprintable character %U", quote(s), r)
		}
	}
	return ""
}

// quote quotes s for a message, cut to 64 bytes: hostile values are shown
// escaped and short.
func quote(s string) string {
	const limit = 64
	if len(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:cut], len(s))
}

// joinProblems joins errs on separate lines, naming at most maxListed.
func joinProblems(errs []error) error {
	switch {
	case len(errs) == 0:
		return nil
	case len(errs) == 1:
		return errs[0]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(errs))
	for i, err := range errs {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(errs)-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	return errors.New(b.String())
}
