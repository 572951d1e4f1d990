package analysis_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/analysis"
)

func ptr[T any](v T) *T { return &v }

func TestSpecValidate(t *testing.T) {
	spec := analysis.Spec{
		Metrics: []analysis.Metric{
			{Name: "Bad Name", Query: "up", Max: ptr(1.0)},
			{Name: "success-rate", Query: "up", Max: ptr(1.0)},
			{Name: "unbounded", Query: "up"},
			{Name: "upside-down", Query: "up", Min: ptr(2.0), Max: ptr(1.0)},
			{Name: "two-ways", Query: "up", Min: ptr(0.0), Max: ptr(1.0), CompareStable: &analysis.Tolerance{MaxRatio: ptr(0.5)}},
			{Name: "broken", Query: "{{.Service", Max: ptr(1.0)},
		},
		Webhooks: []analysis.Webhook{{Name: "a", URL: "http://x"}, {Name: "a", URL: "http://y", Phases: []analysis.Phase{"deploy"}}},
	}.WithDefaults()
	err := spec.Validate()
	for _, want := range []string{
		`metrics[0].name: "Bad Name" is not a kebab-case name`,
		`metrics[1].name: "success-rate" is used twice or is a built-in metric`,
		"metrics[2].min: a metric needs min, max or compareStable",
		"metrics[3].min: 2 is above max 1",
		"metrics[4].compareStable: needs exactly one of min and max",
		"metrics[4].compareStable.maxRatio: 0.5 is below 1",
		"metrics[5].query: parsing query template",
		`webhooks[1].name: "a" is used twice`,
		`webhooks[1].phases: "deploy" is not one of step, promotion`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to contain %q", err, want)
		}
	}
}

func TestSpecYAMLNames(t *testing.T) {
	// The JSON names are the aviary.yaml keys documented in docs/analysis.md.
	var s analysis.Spec
	doc := `{"prometheusURL":"http://p:9090","interval":"10s","measurements":5,"failureLimit":3,"minRequests":0,
	"inconclusive":"fail","onError":"hold","successRate":99.5,"maxP99Ms":300,
	"compareStable":{"successRateDrop":2,"p99Ratio":1.5},
	"metrics":[{"name":"cpu","query":"sum(x)","max":0.8,"compareStable":{"maxRatio":1.3}}],
	"webhooks":[{"name":"qa","url":"https://qa.example","timeout":"3s","phases":["promotion"],"metadata":{"k":"v"}}]}`
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("decoding %s: %v", doc, err)
	}
	if err := s.WithDefaults().Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	if s.Interval.Duration != 10*time.Second || *s.MinRequests != 0 || s.Webhooks[0].Timeout.Duration != 3*time.Second {
		t.Errorf("decoded spec = %+v", s)
	}
}
