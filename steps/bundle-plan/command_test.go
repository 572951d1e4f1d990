package main

import (
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/plan"
)

func TestWithoutCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://x-access-token:s3cr3t@github.com/acme/shop.git": "https://github.com/acme/shop.git",
		"https://gitlab-ci-token:abc@gitlab.example/acme/shop":   "https://gitlab.example/acme/shop",
		"https://github.com/acme/shop.git":                       "https://github.com/acme/shop.git",
		"git@github.com:acme/shop.git":                           "git@github.com:acme/shop.git",
		"/srv/git/shop.git":                                      "/srv/git/shop.git",
	} {
		if got := withoutCredentials(in); got != want {
			t.Errorf("withoutCredentials(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSummary(t *testing.T) {
	r := &result{
		Ref: "reg.example/plans@sha256:aa", Version: "1.0.0", Pushed: false,
		Services: []plan.Service{{Name: "api", Image: "reg.example/api@sha256:bb", Tag: "1.0.0"}},
	}
	got := summary(r)
	for _, want := range []string{
		"### Release plan 1.0.0",
		"`reg.example/plans@sha256:aa`",
		"nothing pushed",
		"| api | reg.example/api:1.0.0 | `sha256:bb` |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary() lacks %q:\n%s", want, got)
		}
	}
}

func TestIsYAML(t *testing.T) {
	for name, want := range map[string]bool{"a.yaml": true, "b/c.yml": true, "README.md": false, "x.yaml.bak": false, "kustomization.json": false} {
		if got := isYAML(name); got != want {
			t.Errorf("isYAML(%q) = %v, want %v", name, got, want)
		}
	}
}
