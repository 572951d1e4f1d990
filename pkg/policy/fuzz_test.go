package policy

import (
	"errors"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// FuzzParse feeds the policy reader anything: it must answer within
// seconds, with a policy that validates or with an invalid-policy error
// listing problems, and never panic. make test runs it briefly (make
// fuzz-short), make fuzz longer.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		good, head,
		head + "exceptions:\n  - &e {service: a, reason: r, allowUnsigned: true}\n  - <<: *e\n    service: b\n",
		head + "images: {allowedRegistries: &x [a.example]}\nexceptions: [{service: s, reason: r, skipAttestations: [*x, *x]}]\n",
		head + "images: [[[[[[[[[[[[[[]]]]]]]]]]]]]]\n",
		head + "exceptions:\n- - - - - - - x\n",
		"{", "", "---\n---\n", "? [a]\n: b\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		p, err := Parse("policy.yaml", data)
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("Parse took %v on %d bytes", took, len(data))
		}
		if err != nil {
			var ps *Problems
			if outcome.KindOf(err) != outcome.KindInvalid || !errors.As(err, &ps) || len(ps.List) == 0 {
				t.Fatalf("Parse error = %v, want an invalid policy listing problems", err)
			}
			return
		}
		if problems := p.Validate(); len(problems) > 0 {
			t.Fatalf("Parse accepted a policy that does not validate: %v", problems)
		}
	})
}
