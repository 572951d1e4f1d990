package step

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ok := Definition{Name: "ok-step", Description: "d",
		Inputs:  []Input{{Name: "a", Description: "d", Type: Int, Default: "3"}},
		Outputs: []Output{{Name: "b", Description: "d"}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
	if err := testDef.Validate(); err != nil {
		t.Errorf("testDef.Validate() = %v, want nil", err)
	}
	tests := []struct {
		name string
		edit func(*Definition)
		want string
	}{
		{"step name", func(d *Definition) { d.Name = "Bad_Name" }, `step name "Bad_Name" is not kebab-case`},
		{"input name", func(d *Definition) { d.Inputs[0].Name = "aB" }, `input name "aB" is not kebab-case`},
		{"duplicate input", func(d *Definition) { d.Inputs = append(d.Inputs, d.Inputs[0]) }, `input "a" is declared twice`},
		{"common clash", func(d *Definition) { d.Inputs[0].Name = "log-format" }, "clashes with a common input"},
		{"bad type", func(d *Definition) { d.Inputs[0].Type = "float" }, `unknown type "float"`},
		{"bad default", func(d *Definition) { d.Inputs[0].Default = "x" }, `default of input "a": "x" is not a base-10 integer`},
		{"required with default", func(d *Definition) { d.Inputs[0].Required = true }, "required and has a default"},
		{"output name", func(d *Definition) { d.Outputs[0].Name = "b_c" }, `output name "b_c"`},
		{"no description", func(d *Definition) { d.Outputs[0].Description = "" }, `output "b" has no description`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ok
			d.Inputs = append([]Input(nil), ok.Inputs...)
			d.Outputs = append([]Output(nil), ok.Outputs...)
			tt.edit(&d)
			if err := d.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want containing %q", err, tt.want)
			}
		})
	}
}

func TestWithCommon(t *testing.T) {
	d := testDef.WithCommon()
	if len(d.Inputs) != len(testDef.Inputs)+len(CommonInputs()) {
		t.Fatalf("WithCommon() has %d inputs, want %d", len(d.Inputs), len(testDef.Inputs)+len(CommonInputs()))
	}
	d.Inputs[0].Name = "changed"
	if testDef.Inputs[0].Name == "changed" {
		t.Error("WithCommon() shares its input slice with the original")
	}
	for _, in := range CommonInputs() {
		if !IsCommon(in.Name) {
			t.Errorf("IsCommon(%q) = false", in.Name)
		}
	}
}
