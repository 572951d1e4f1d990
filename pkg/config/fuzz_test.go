package config

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// FuzzParse feeds the config reader anything: it must answer within
// seconds, with a config that validates or with an invalid-config error
// listing problems, and never panic. make test runs it briefly (make
// fuzz-short), make fuzz longer.
func FuzzParse(f *testing.F) {
	valid, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(valid), minimal,
		minimal + "canary: {steps: [5, 10], analysis: {webhooks: [{url: https://h.example, metadata: {a: b}}]}}\n",
		"services:\n  - &a {name: api, image: r/a, manifests: d}\n  - <<: *a\n    name: web\n",
		"services:\n  - &a {name: api}\n  - &b {image: r/b}\n  - <<: [*a, *b]\n",
		"x: &x [a, a]\ny: &y [*x, *x]\nz: [*y, *y]\n",
		"product: [[[[[[[[[[[[]]]]]]]]]]]]\n",
		"- - - - - - - - - x\n",
		"product: \"api\\n::set-output name=x::1\"\n",
		"{", "", "---\n---\n", "a: !!binary aGVsbG8=\n", "? [a, b]\n: c\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		cfg, err := Parse("aviary.yaml", data)
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("Parse took %v on %d bytes", took, len(data))
		}
		if err != nil {
			var ps *Problems
			if outcome.KindOf(err) != outcome.KindInvalid || !errors.As(err, &ps) || len(ps.List) == 0 {
				t.Fatalf("Parse error = %v, want an invalid config listing problems", err)
			}
			return
		}
		if problems := cfg.Validate(); len(problems) > 0 {
			t.Fatalf("Parse accepted a config that does not validate: %v", problems)
		}
	})
}
