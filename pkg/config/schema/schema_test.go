package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestSchemaUpToDate fails when schema/aviary.schema.json no longer matches
// the Go types of package config.
func TestSchemaUpToDate(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	got, err := Generate()
	if err != nil {
		t.Fatalf("Generate() error: %v", err)
	}
	committed, err := os.ReadFile(Path)
	if err != nil {
		t.Fatalf("reading the committed schema: %v (run: go run ./hack/schema)", err)
	}
	if !bytes.Equal(got, committed) {
		t.Errorf("%s is stale; run: go run ./hack/schema", Path)
	}
}

// TestSchemaNamesEveryField checks the schema says what the YAML decoder
// accepts: every field of every object, and no others.
func TestSchemaNamesEveryField(t *testing.T) {
	root, _ := filepath.Abs("../../..")
	t.Chdir(root)
	data, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Properties           map[string]json.RawMessage `json:"properties"`
			Required             []string                   `json:"required"`
			AdditionalProperties *bool                      `json:"additionalProperties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"Config":   {"product", "services", "topology", "canary"},
		"Service":  {"name", "image", "manifests", "port"},
		"Topology": {"kind", "targets"},
		"Target":   {"role", "cluster", "namespace"},
		"Canary":   {"steps", "pause", "initialWeight", "analysis"},
	}
	for def, fields := range want {
		d, ok := s.Defs[def]
		if !ok {
			t.Errorf("schema has no $defs/%s", def)
			continue
		}
		for _, f := range fields {
			if _, ok := d.Properties[f]; !ok {
				t.Errorf("$defs/%s lacks property %q", def, f)
			}
		}
		if d.AdditionalProperties == nil || *d.AdditionalProperties {
			t.Errorf("$defs/%s allows unknown properties; aviary.yaml does not", def)
		}
	}
	if got := s.Defs["Service"].Required; len(got) != 3 {
		t.Errorf("$defs/Service required = %v, want name, image, manifests", got)
	}
}
