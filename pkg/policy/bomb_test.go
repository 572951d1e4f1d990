package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

const head = "apiVersion: aviary.dev/v1\nkind: VerificationPolicy\n"

func TestParseMergeKeys(t *testing.T) {
	doc := head + `images:
  requiredAttestations: [https://slsa.dev/provenance/v1]
exceptions:
  - &vendor
    service: legacy
    allowUnsigned: true
    reason: vendor image
  - &noattest
    service: batch
    skipAttestations: ["*"]
    reason: no provenance yet
  - <<: *vendor
    service: legacy-worker
  - <<: [*noattest, *vendor]
    service: cron
`
	p, err := Parse("policy.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Parse() error: %v", err)
	}
	want := []Exception{
		{Service: "legacy", AllowUnsigned: true, Reason: "vendor image"},
		{Service: "batch", SkipAttestations: []string{"*"}, Reason: "no provenance yet"},
		{Service: "legacy-worker", AllowUnsigned: true, Reason: "vendor image"},
		{Service: "cron", AllowUnsigned: true, SkipAttestations: []string{"*"}, Reason: "no provenance yet"},
	}
	if diff := cmp.Diff(want, p.Exceptions); diff != "" {
		t.Errorf("exceptions (-want +got):\n%s", diff)
	}
}

func TestParseBombs(t *testing.T) {
	var laughs, merge strings.Builder
	laughs.WriteString(head + "images:\n  allowedRegistries: &x0 [a.example]\nexceptions:\n")
	merge.WriteString(head + "exceptions:\n  - &e0 {service: a, reason: r, allowUnsigned: true}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&laughs, "  - {service: s%d, reason: r, skipAttestations: &x%d [*x%d%s]}\n", i, i, i-1, strings.Repeat(fmt.Sprintf(", *x%d", i-1), 8))
		fmt.Fprintf(&merge, "  - &e%d {<<: [*e%d%s]}\n", i, i-1, strings.Repeat(fmt.Sprintf(", *e%d", i-1), 8))
	}
	tests := []struct {
		name, doc, want string
	}{
		{"billion laughs", laughs.String(), "more than 20000 YAML nodes once aliases and merge keys are expanded"},
		{"merge fan-out", merge.String(), "more than 20000 YAML nodes once aliases and merge keys are expanded"},
		{"10k-deep flow", head + "images: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n", "line 3: nesting deeper than 64 levels"},
		{"10k-deep block", head + "exceptions:\n" + strings.Repeat("- ", 10000) + "x\n", "line 4: nesting deeper than 64 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("policy.yaml", []byte(tt.doc))
			if err == nil || outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "line ") {
				t.Fatalf("Parse() = %v, want an invalid policy saying %q with its line", err, tt.want)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Parse() took %v to refuse", took)
			}
		})
	}
}
