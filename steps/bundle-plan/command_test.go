package main

import (
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/plan"
)

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
