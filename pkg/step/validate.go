package step

import (
	"errors"
	"fmt"
	"regexp"
)

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Validate checks that d is well formed: kebab-case names, no duplicates, no
// clash with the CommonInputs, known types, defaults that parse, and no
// default on a required input. The step runtime refuses to run a step whose
// definition does not validate.
func (d Definition) Validate() error {
	var errs []error
	if !kebab.MatchString(d.Name) {
		errs = append(errs, fmt.Errorf("step name %q is not kebab-case", d.Name))
	}
	if d.Description == "" {
		errs = append(errs, fmt.Errorf("step %q has no description", d.Name))
	}
	seen := map[string]bool{}
	for _, in := range d.Inputs {
		switch {
		case !kebab.MatchString(in.Name):
			errs = append(errs, fmt.Errorf("input name %q is not kebab-case", in.Name))
		case seen[in.Name]:
			errs = append(errs, fmt.Errorf("input %q is declared twice", in.Name))
		case IsCommon(in.Name):
			errs = append(errs, fmt.Errorf("input %q clashes with a common input", in.Name))
		}
		seen[in.Name] = true
		if in.Description == "" {
			errs = append(errs, fmt.Errorf("input %q has no description", in.Name))
		}
		if !knownType(in.Type) {
			errs = append(errs, fmt.Errorf("input %q has unknown type %q", in.Name, in.Type))
			continue
		}
		if in.Required && in.Default != "" {
			errs = append(errs, fmt.Errorf("input %q is required and has a default", in.Name))
		}
		if in.Default != "" {
			if _, err := parseValue(in, in.Default); err != nil {
				errs = append(errs, fmt.Errorf("default of input %q: %w", in.Name, err))
			}
		}
	}
	outs := map[string]bool{}
	for _, out := range d.Outputs {
		switch {
		case !kebab.MatchString(out.Name):
			errs = append(errs, fmt.Errorf("output name %q is not kebab-case", out.Name))
		case outs[out.Name]:
			errs = append(errs, fmt.Errorf("output %q is declared twice", out.Name))
		}
		outs[out.Name] = true
		if out.Description == "" {
			errs = append(errs, fmt.Errorf("output %q has no description", out.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("step definition %q: %w", d.Name, err)
	}
	return nil
}

func knownType(t Type) bool {
	switch t {
	case "", String, Bool, Int, Duration, List:
		return true
	}
	return false
}
