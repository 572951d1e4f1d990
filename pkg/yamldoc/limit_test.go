package yamldoc

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// laughs is the billion laughs: levels of anchors, each a list of width
// aliases of the one before (width^levels strings once expanded).
func laughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("x0: &x0 [lol" + strings.Repeat(", lol", width-1) + "]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "x%d: &x%d [*x%d%s]\n", i, i, i-1, strings.Repeat(fmt.Sprintf(", *x%d", i-1), width-1))
	}
	return b.String()
}

// mergeFan merges each mapping width times into the next: the decoder
// walks width^levels mappings although the result is small.
func mergeFan(levels, width int) string {
	var b strings.Builder
	b.WriteString("m0: &m0 {a: 1}\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "m%d: &m%d {<<: [*m%d%s], k%d: 1}\n", i, i, i-1, strings.Repeat(fmt.Sprintf(", *m%d", i-1), width-1), i)
	}
	return b.String()
}

func deepBlock(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	return b.String()
}

func TestParseAccepts(t *testing.T) {
	tests := map[string]string{
		"config": `product: shop
services:
  - name: api
    image: registry.example/shop/api
    manifests: deploy/api
topology: {kind: single-cluster, targets: [{role: release, namespace: shop}]}
canary:
  steps: [5, 10, 25, 50]
  analysis:
    webhooks:
      - url: https://hooks.example/check
        metadata: {team: shop}
`,
		"merge key with overrides": "base: &base {image: r/a, manifests: d}\nsvc:\n  <<: *base\n  image: r/b\n",
		"merge of a list":          "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
		"aliases reused":           laughs(2, 10),
		"fifty levels":             strings.Repeat("[", 50) + strings.Repeat("]", 50) + "\n",
		"nested block":             deepBlock(40),
		"block scalar":             "query: |\n  sum(rate(x{job=\"a\"}[5m]))\n  [[[[[[[[\n",
		"quoted brackets":          `q: "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["` + "\n",
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(doc), Limits{}); err != nil {
				t.Errorf("Parse() = %v, want nil", err)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, doc string
		limits    Limits
		want      string
		line      int
	}{
		{"billion laughs", "a: 1\n" + laughs(9, 9), Limits{}, "more than 20000 YAML nodes once aliases and merge keys are expanded (at alias *x", 0},
		{"merge fan-out", mergeFan(9, 9), Limits{}, "more than 20000 YAML nodes once aliases and merge keys are expanded", 0},
		{"10k deep flow sequence", "a: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n", Limits{}, "nesting deeper than 64 levels", 1},
		{"10k deep flow mapping", "a: " + strings.Repeat("{a: ", 10000) + "1" + strings.Repeat("}", 10000) + "\n", Limits{}, "nesting deeper than 64 levels", 1},
		{"10k deep block sequence", "a:\n" + strings.Repeat("- ", 10000) + "x\n", Limits{}, "nesting deeper than 64 levels", 2},
		{"deep block mapping", deepBlock(100), Limits{}, "nesting deeper than 64 levels", 65},
		{"deep through an alias", "a: &a " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\nb: " + strings.Repeat("[", 40) + "*a" + strings.Repeat("]", 40) + "\n", Limits{}, "once alias *a is expanded", 2},
		{"many nodes", "a: [" + strings.Repeat("1, ", 30000) + "1]\n", Limits{}, "more than 20000 YAML nodes", 1},
		{"size", strings.Repeat("#", 100), Limits{Size: 10}, "the document is 100 bytes, more than the 10 accepted", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse([]byte(tt.doc), tt.limits)
			took := time.Since(start)
			var le *Error
			if !errors.As(err, &le) || !strings.Contains(le.Message, tt.want) {
				t.Fatalf("Parse() = %v, want an *Error containing %q", err, tt.want)
			}
			if tt.line != 0 && le.Line != tt.line {
				t.Errorf("Parse() error at line %d, want %d", le.Line, tt.line)
			}
			if took > 5*time.Second {
				t.Errorf("Parse() took %v to refuse", took)
			}
		})
	}
}

func TestParseLeavesSyntaxErrorsToGoYAML(t *testing.T) {
	_, err := Parse([]byte("a: [1, 2\nb: }"), Limits{})
	var le *Error
	if err == nil || errors.As(err, &le) {
		t.Errorf("Parse() = %v, want go-yaml's syntax error", err)
	}
}

func TestParseRecursiveAlias(t *testing.T) {
	_, err := Parse([]byte("a: &a [1, *a]\n"), Limits{})
	if err == nil {
		t.Fatal("Parse() accepted an alias inside its own anchor")
	}
}
