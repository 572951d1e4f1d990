package step

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// value is one resolved input.
type value struct {
	raw    string // the text as given, or the default
	set    bool   // given explicitly by flag or environment
	source string // where raw came from: "--plan", "INPUT_PLAN", "AVIARY_PLAN" or "default"
	parsed any    // string, bool, int, time.Duration or []string
}

// GitHubEnv returns the environment variable in which GitHub Actions passes
// input name to an action: INPUT_ and the name upper-cased, spaces replaced
// by underscores, hyphens kept (INPUT_PLAN-REF).
func GitHubEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Env returns the environment variable every step reads input name from on
// any system: AVIARY_ and the name upper-cased, hyphens replaced by
// underscores (AVIARY_PLAN_REF).
func Env(name string) string {
	return "AVIARY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Flag returns the command-line flag of input name: --name.
func Flag(name string) string { return "--" + name }

// parsedArgs is the command line split into flag values.
type parsedArgs struct {
	values  map[string]string // input name → last value given
	help    bool
	version bool
	errs    []error
}

// parseArgs reads --name=value, --name value and, for bool inputs, a bare
// --name. A single leading dash works too. Anything else is an error.
func parseArgs(inputs []Input, args []string) parsedArgs {
	byName := make(map[string]Input, len(inputs))
	for _, in := range inputs {
		byName[in.Name] = in
	}
	p := parsedArgs{values: map[string]string{}}
	var unknown, positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			positional = append(positional, arg)
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
		val, hasVal := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, val, hasVal = k, v, true
		}
		if name == "help" || name == "h" {
			p.help = true
			continue
		}
		if _, input := byName[name]; name == "version" && !hasVal && !input {
			// A step with an input named version takes --version as that
			// input; its --help shows the build's version.
			p.version = true
			continue
		}
		in, ok := byName[name]
		if !ok {
			unknown = append(unknown, "--"+name)
			continue
		}
		if !hasVal {
			switch {
			case in.Type == Bool:
				val = "true"
			case i+1 < len(args):
				i++
				val = args[i]
			default:
				p.errs = append(p.errs, fmt.Errorf("flag --%s needs a value", name))
				continue
			}
		}
		p.values[name] = val
	}
	if len(unknown) > 0 {
		p.errs = append(p.errs, fmt.Errorf("unknown flag %s (see --help)", strings.Join(unknown, ", ")))
	}
	if len(positional) > 0 {
		p.errs = append(p.errs, fmt.Errorf("unexpected argument %q: inputs are given as --name=value", positional[0]))
	}
	return p
}

// resolve finds the value of every input: flag, then INPUT_<NAME>, then
// AVIARY_<NAME>, then the default. Surrounding white space is trimmed from
// every value wherever it comes from (GitHub's toolkit trims action inputs;
// the other sources are treated the same), and an empty or blank value counts
// as unset, because every CI adapter passes every input even when empty:
// GitHub sets INPUT_ for each declared action input, a Tekton Task passes
// --name=$(params.name), a GitLab component sets AVIARY_ from each spec input.
// All errors are returned together.
func resolve(inputs []Input, flags map[string]string, env map[string]string) (map[string]value, []error) {
	vals := make(map[string]value, len(inputs))
	var errs []error
	for _, in := range inputs {
		v := value{raw: in.Default, source: "default"}
		if f := strings.TrimSpace(flags[in.Name]); f != "" {
			v = value{raw: f, set: true, source: Flag(in.Name)}
		} else if e := strings.TrimSpace(env[GitHubEnv(in.Name)]); e != "" {
			v = value{raw: e, set: true, source: GitHubEnv(in.Name)}
		} else if e := strings.TrimSpace(env[Env(in.Name)]); e != "" {
			v = value{raw: e, set: true, source: Env(in.Name)}
		}
		if in.Required && strings.TrimSpace(v.raw) == "" {
			errs = append(errs, fmt.Errorf("input %q is required: give %s, %s or %s",
				in.Name, Flag(in.Name), GitHubEnv(in.Name), Env(in.Name)))
			vals[in.Name] = v
			continue
		}
		p, err := parseValue(in, v.raw)
		if err == nil {
			err = checkChoice(in.Name, v.raw)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("input %q (from %s): %w", in.Name, v.source, err))
		}
		v.parsed = p
		vals[in.Name] = v
	}
	return vals, errs
}

// parseValue parses raw strictly according to in.Type. A secret's value is
// never quoted in the error.
func parseValue(in Input, raw string) (any, error) {
	quoted := strconv.Quote(raw)
	if in.Secret {
		quoted = "(secret value)"
	}
	switch in.Type {
	case "", String:
		return raw, nil
	case Bool:
		switch raw {
		case "true":
			return true, nil
		case "false", "":
			return false, nil
		}
		return nil, fmt.Errorf("%s is not a boolean: use true or false", quoted)
	case Int:
		if raw == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			return nil, fmt.Errorf("%s is not a base-10 integer", quoted)
		}
		return n, nil
	case Duration:
		if raw == "" {
			return time.Duration(0), nil
		}
		d, err := time.ParseDuration(raw)
		if err != nil {
			return nil, fmt.Errorf("%s is not a duration such as 30s or 5m", quoted)
		}
		if d < 0 {
			return nil, fmt.Errorf("%s is negative", quoted)
		}
		return d, nil
	case List:
		return splitList(raw), nil
	}
	return nil, fmt.Errorf("unknown input type %q", in.Type)
}

// splitList splits on commas and newlines, trims entries and drops empty ones.
func splitList(raw string) []string {
	fields := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '\n' })
	list := make([]string, 0, len(fields))
	for _, f := range fields {
		if f = strings.TrimSpace(f); f != "" {
			list = append(list, f)
		}
	}
	return list
}

func checkChoice(name, raw string) error {
	choices, ok := commonChoices[name]
	if !ok || slices.Contains(choices, raw) {
		return nil
	}
	return fmt.Errorf("%q is not one of %s", raw, strings.Join(choices, ", "))
}

// envMap turns KEY=VALUE pairs into a map; a later pair wins.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// errInputs marks input errors so that they exit 2.
var errInputs = errors.New("invalid inputs")
