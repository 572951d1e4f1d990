package config

import (
	"fmt"
	"path"
	"strings"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/validation"
)

// checkLabel reports whether s is a DNS-1123 label (what Kubernetes names
// namespaces and services with), as Kubernetes itself checks it.
func checkLabel(s string) string {
	if s == "" {
		return "is required"
	}
	if msgs := validation.IsDNS1123Label(s); len(msgs) > 0 {
		return fmt.Sprintf("%q is not a DNS-1123 label: %s", s, strings.Join(msgs, "; "))
	}
	return ""
}

// Validate returns every problem of the config, each with its path. It does
// not look at anything outside the config (images, manifest files).
func (c *Config) Validate() []Problem {
	var l problemList
	if msg := checkLabel(c.Product); msg != "" {
		l.add("product", "%s", msg)
	}
	if len(c.Services) == 0 {
		l.add("services", "at least one service is required")
	}
	first := map[string]int{}
	for i, s := range c.Services {
		p := fmt.Sprintf("services[%d]", i)
		if msg := checkLabel(s.Name); msg != "" {
			l.add(p+".name", "%s", msg)
		} else if j, dup := first[s.Name]; dup {
			l.add(p+".name", "duplicate service %q (also services[%d])", s.Name, j)
		} else {
			first[s.Name] = i
		}
		if msg := checkImage(s.Image); msg != "" {
			l.add(p+".image", "%s", msg)
		}
		if msg := checkRelDir(s.Manifests); msg != "" {
			l.add(p+".manifests", "%s", msg)
		}
		if s.Port < 0 || s.Port > 65535 {
			l.add(p+".port", "%d is not a port (1-65535)", s.Port)
		}
	}
	c.Topology.validate(&l)
	c.Canary.validate(&l)
	return l
}

// checkImage accepts an image repository with an optional tag.
func checkImage(image string) string {
	if image == "" {
		return "is required"
	}
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return fmt.Sprintf("%q is not an image reference: %v", image, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return fmt.Sprintf("%q carries a digest; give a repository, optionally with a tag: the release plan pins digests itself", image)
	}
	return ""
}

// checkRelDir accepts a clean relative directory inside the repository.
func checkRelDir(dir string) string {
	switch {
	case dir == "":
		return "is required"
	case strings.Contains(dir, `\`):
		return fmt.Sprintf("%q: use '/' to separate directories", dir)
	case path.IsAbs(dir):
		return fmt.Sprintf("%q is absolute; give a directory relative to the repository root", dir)
	}
	clean := path.Clean(dir)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Sprintf("%q leaves the repository", dir)
	}
	return ""
}

func (c *Canary) validate(l *problemList) {
	prev := 0
	for i, w := range c.Steps {
		p := fmt.Sprintf("canary.steps[%d]", i)
		switch {
		case w < 1 || w > 100:
			l.add(p, "%d is not a weight in percent (1-100)", w)
		case w <= prev:
			l.add(p, "%d does not increase on the step before (%d); weights must rise", w, prev)
		}
		if w > prev {
			prev = w
		}
	}
	if c.Pause.Duration < 0 {
		l.add("canary.pause", "%s is negative", c.Pause.Duration)
	}
	if c.InitialWeight < 0 || c.InitialWeight > 100 {
		l.add("canary.initialWeight", "%d is not a weight in percent (0-100)", c.InitialWeight)
	} else if len(c.Steps) > 0 && c.InitialWeight >= c.Steps[0] {
		l.add("canary.initialWeight", "%d is not below the first step (%d)", c.InitialWeight, c.Steps[0])
	}
	validateAnalysis(c.Analysis, l)
}
