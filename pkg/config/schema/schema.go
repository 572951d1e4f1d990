// Package schema generates the JSON Schema of the release config,
// aviary.yaml, from the Go types of package config, so that editors can
// complete and check the file. The schema is committed at
// schema/aviary.schema.json; a test fails when it is stale, and
// `go run ./hack/schema` (or `go generate ./pkg/config`) rewrites it.
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/aviary-cd/aviary/pkg/config"
)

// Path is where the schema lives, relative to the module root.
const Path = "schema/aviary.schema.json"

// ID is the schema's $id.
const ID = "https://aviary.dev/schema/aviary.schema.json"

const module = "github.com/aviary-cd/aviary"

// Generate returns the schema, indented, with a final newline. It must run
// with the module root as working directory: descriptions come from the Go
// comments of pkg/config.
func Generate() ([]byte, error) {
	r := &jsonschema.Reflector{
		// Unknown fields are errors in aviary.yaml; say so to editors too.
		AllowAdditionalProperties: false,
		Mapper:                    mapType,
	}
	if err := r.AddGoComments(module, "pkg/config"); err != nil {
		return nil, fmt.Errorf("reading comments of pkg/config: %w", err)
	}
	s := r.Reflect(&config.Config{})
	s.ID = ID
	s.Title = "aviary release config (aviary.yaml)"
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encoding schema: %w", err)
	}
	return buf.Bytes(), nil
}

// mapType gives types that YAML writes as text their textual schema.
func mapType(t reflect.Type) *jsonschema.Schema {
	if t == reflect.TypeFor[config.Duration]() {
		return &jsonschema.Schema{
			Type:        "string",
			Pattern:     `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
			Description: "A Go duration: 30s, 5m, 1h30m.",
		}
	}
	return nil
}
