package plan

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode feeds the plan-document reader anything: what it accepts
// passes Check, encodes canonically and decodes back to the same plan; it
// never panics. make test runs it briefly (make fuzz-short), make fuzz
// longer. (FuzzReadBundle does the same for the manifests layer.)
func FuzzDecode(f *testing.F) {
	p, files := samplePlan()
	a, err := Pack(context.Background(), p, files)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(a.Plan)
	hostile := *p
	hostile.Services = append([]Service(nil), p.Services...)
	hostile.Services[0].Name = "api\n::set-output name=x::1"
	if doc, err := Encode(&hostile); err == nil {
		f.Add(doc)
	}
	f.Add([]byte(`{"apiVersion":"aviary.dev/v1","kind":"ReleasePlan","version":"1.0.0","services":[{"name":"a|b"}]}`))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			return
		}
		if err := p.Check(); err != nil {
			t.Fatalf("Decode accepted a plan that does not check: %v", err)
		}
		doc, err := Encode(p)
		if err != nil {
			t.Fatalf("Encode(decoded plan) = %v", err)
		}
		again, err := Decode(doc)
		if err != nil {
			t.Fatalf("Decode(Encode(plan)) = %v", err)
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("plan changed through Encode and Decode (-first +second):\n%s", diff)
		}
	})
}
