package step

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestInputPrecedence(t *testing.T) {
	tests := []struct {
		name       string
		args, env  []string
		input      string
		want       string
		wantSet    bool
		wantSource string
	}{
		{"default", nil, nil, "weight", "5", false, "default"},
		{"aviary env", nil, []string{"AVIARY_WEIGHT=7"}, "weight", "7", true, "AVIARY_WEIGHT"},
		{"github env beats aviary env", nil, []string{"AVIARY_WEIGHT=7", "INPUT_WEIGHT=8"}, "weight", "8", true, "INPUT_WEIGHT"},
		{"flag beats env", []string{"--weight=9"}, []string{"AVIARY_WEIGHT=7", "INPUT_WEIGHT=8"}, "weight", "9", true, "--weight"},
		{"flag with space", []string{"--weight", "10"}, nil, "weight", "10", true, "--weight"},
		{"single dash flag", []string{"-weight=11"}, nil, "weight", "11", true, "--weight"},
		{"last flag wins", []string{"--weight=1", "--weight=2"}, nil, "weight", "2", true, "--weight"},
		{"empty github env is unset", nil, []string{"INPUT_WEIGHT=", "AVIARY_WEIGHT=7"}, "weight", "7", true, "AVIARY_WEIGHT"},
		{"blank github env is unset", nil, []string{"INPUT_WEIGHT=  "}, "weight", "5", false, "default"},
		{"empty aviary env is unset", nil, []string{"AVIARY_WEIGHT="}, "weight", "5", false, "default"},
		{"github env is trimmed", nil, []string{"INPUT_WEIGHT= 8\n"}, "weight", "8", true, "INPUT_WEIGHT"},
		{"empty flag is unset", []string{"--plan-ref="}, []string{"AVIARY_PLAN_REF=x"}, "plan-ref", "x", true, "AVIARY_PLAN_REF"},
		{"empty flag takes the default", []string{"--weight="}, nil, "weight", "5", false, "default"},
		{"github keeps hyphens", nil, []string{"INPUT_PLAN-REF=gh"}, "plan-ref", "gh", true, "INPUT_PLAN-REF"},
		{"github underscore is not the name", nil, []string{"INPUT_PLAN_REF=gh"}, "plan-ref", "", false, "default"},
		{"aviary replaces hyphens", nil, []string{"AVIARY_PLAN_REF=av"}, "plan-ref", "av", true, "AVIARY_PLAN_REF"},
		{"bare bool flag", []string{"--push"}, nil, "push", "true", true, "--push"},
		{"common input", []string{"--log-format", "json"}, nil, "log-format", "json", true, "--log-format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all := AllInputs(testDef)
			p := parseArgs(all, append([]string{"--plan=p"}, tt.args...))
			if len(p.errs) > 0 {
				t.Fatalf("parseArgs(%q) errors: %v", tt.args, p.errs)
			}
			vals, errs := resolve(all, p.values, envMap(tt.env))
			if len(errs) > 0 {
				t.Fatalf("resolve errors: %v", errs)
			}
			got := vals[tt.input]
			if got.raw != tt.want || got.set != tt.wantSet || got.source != tt.wantSource {
				t.Errorf("input %q = (%q, set %v, from %s), want (%q, set %v, from %s)",
					tt.input, got.raw, got.set, got.source, tt.want, tt.wantSet, tt.wantSource)
			}
		})
	}
}

func TestTypedAccessors(t *testing.T) {
	var got struct {
		plan   string
		weight int
		pause  time.Duration
		push   bool
		steps  []string
		isSet  [2]bool
	}
	r := runStep(t, testDef,
		[]string{"--plan", "reg/app@sha256:abc", "--pause=1m30s", "--push=true"},
		[]string{"INPUT_STEPS=5, 10,\n25,,\n 50 ", "AVIARY_WEIGHT=-3"},
		func(_ context.Context, s *Session) error {
			got.plan, got.weight, got.pause = s.String("plan"), s.Int("weight"), s.Duration("pause")
			got.push, got.steps = s.Bool("push"), s.List("steps")
			got.isSet = [2]bool{s.IsSet("weight"), s.IsSet("token")}
			return nil
		})
	if r.code != 0 {
		t.Fatalf("Run = %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	if got.plan != "reg/app@sha256:abc" || got.weight != -3 || got.pause != 90*time.Second || !got.push {
		t.Errorf("inputs = %q %d %v %v, want reg/app@sha256:abc -3 1m30s true", got.plan, got.weight, got.pause, got.push)
	}
	if diff := cmp.Diff([]string{"5", "10", "25", "50"}, got.steps); diff != "" {
		t.Errorf("List(steps) mismatch (-want +got):\n%s", diff)
	}
	if got.isSet != [2]bool{true, false} {
		t.Errorf("IsSet(weight), IsSet(token) = %v, want [true false]", got.isSet)
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		typ     Type
		raw     string
		want    any
		wantErr string
	}{
		{Bool, "true", true, ""},
		{Bool, "false", false, ""},
		{Bool, "", false, ""},
		{Bool, "yes", nil, `"yes" is not a boolean`},
		{Bool, "True", nil, `"True" is not a boolean`},
		{Bool, "1", nil, `"1" is not a boolean`},
		{Int, "42", 42, ""},
		{Int, "-1", -1, ""},
		{Int, "", 0, ""},
		{Int, "0x10", nil, `"0x10" is not a base-10 integer`},
		{Int, "4.5", nil, `"4.5" is not a base-10 integer`},
		{Int, " 4", nil, `" 4" is not a base-10 integer`},
		{Duration, "5m", 5 * time.Minute, ""},
		{Duration, "0", time.Duration(0), ""},
		{Duration, "5", nil, `"5" is not a duration`},
		{Duration, "-1s", nil, `"-1s" is negative`},
		{List, "a,b\nc", []string{"a", "b", "c"}, ""},
		{List, " , ,", []string{}, ""},
		{String, " keep spaces ", " keep spaces ", ""},
	}
	for _, tt := range tests {
		got, err := parseValue(Input{Name: "x", Type: tt.typ}, tt.raw)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseValue(%s, %q) error = %v, want containing %q", tt.typ, tt.raw, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseValue(%s, %q) error = %v", tt.typ, tt.raw, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseValue(%s, %q) mismatch (-want +got):\n%s", tt.typ, tt.raw, diff)
		}
	}
}

func TestInputErrorsReportedTogether(t *testing.T) {
	called := false
	r := runStep(t, testDef,
		[]string{"--weight=ten", "--bogus", "--also-bogus=1", "stray", "--token=s3cr3t-value", "--pause"},
		[]string{"AVIARY_PUSH=yes", "INPUT_LOG-FORMAT=xml"},
		func(context.Context, *Session) error { called = true; return nil })
	if called {
		t.Error("run was called despite input errors")
	}
	if r.code != ExitInvalid {
		t.Errorf("Run = %d, want %d", r.code, ExitInvalid)
	}
	for _, want := range []string{
		`input "plan" is required: give --plan, INPUT_PLAN or AVIARY_PLAN`,
		`input "weight" (from --weight): "ten" is not a base-10 integer`,
		`input "push" (from AVIARY_PUSH): "yes" is not a boolean`,
		`input "log-format" (from INPUT_LOG-FORMAT): "xml" is not one of text, json`,
		`unknown flag --bogus, --also-bogus`,
		`unexpected argument "stray"`,
		`flag --pause needs a value`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q; stderr:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "s3cr3t-value") {
		t.Errorf("stderr shows the secret:\n%s", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing written on input errors", r.stdout)
	}
}

func TestSecretParseErrorDoesNotQuoteValue(t *testing.T) {
	_, err := parseValue(Input{Name: "n", Type: Int, Secret: true}, "hunter2")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("parseValue(secret, hunter2) error = %v, want an error not quoting the value", err)
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		called := false
		r := runStep(t, testDef, []string{"--weight=bad", arg}, nil,
			func(context.Context, *Session) error { called = true; return nil })
		if r.code != 0 || called {
			t.Errorf("Run(%s) = %d, called %v; want 0 without running", arg, r.code, called)
		}
		for _, want := range []string{
			"test-step: A step for tests.",
			"--plan", "required",
			"--weight", "int", `default "5"`,
			"--token", "secret",
			"--log-format", "--results-dir",
			"Outputs:", "plan-ref",
			"Exit codes:", "130",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("Run(%s) help lacks %q:\n%s", arg, want, r.stdout)
			}
		}
	}
}

func TestMisuseFailsTheStep(t *testing.T) {
	tests := []struct {
		name string
		body func(*Session)
		want string
	}{
		{"undeclared input", func(s *Session) { s.String("nope") }, `undeclared input "nope"`},
		{"wrong type", func(s *Session) { s.Int("plan") }, `input "plan" of type string as int`},
		{"undeclared output", func(s *Session) { s.SetOutput("nope", "x") }, `undeclared output "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runStep(t, testDef, []string{"--plan=p"}, nil, func(_ context.Context, s *Session) error {
				tt.body(s)
				return nil
			})
			if r.code != ExitExternal || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("Run = %d, stderr:\n%s\nwant %d and %q", r.code, r.stderr, ExitExternal, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want no outputs written", r.stdout)
			}
		})
	}
}

// TestWhitespaceIsTheSameEverywhere checks that a flag, INPUT_ and AVIARY_
// treat surrounding white space alike: trimmed, and blank is unset.
func TestWhitespaceIsTheSameEverywhere(t *testing.T) {
	sources := []struct {
		name string
		give func(weight, format string) (args, env []string)
	}{
		{"flag", func(w, f string) ([]string, []string) { return []string{"--weight=" + w, "--log-format", f}, nil }},
		{"INPUT_", func(w, f string) ([]string, []string) {
			return nil, []string{"INPUT_WEIGHT=" + w, "INPUT_LOG-FORMAT=" + f}
		}},
		{"AVIARY_", func(w, f string) ([]string, []string) {
			return nil, []string{"AVIARY_WEIGHT=" + w, "AVIARY_LOG_FORMAT=" + f}
		}},
	}
	values := []struct {
		name, weight, format string
		wantWeight           int
		wantSet, wantJSON    bool
	}{
		{"padded", " 8\n", "\tjson ", 8, true, true},
		{"blank", " \t\n", "  ", 5, false, false},
	}
	for _, src := range sources {
		for _, v := range values {
			t.Run(src.name+"/"+v.name, func(t *testing.T) {
				args, env := src.give(v.weight, v.format)
				var weight int
				var set bool
				r := runStep(t, testDef, append([]string{"--plan=p"}, args...), env, func(_ context.Context, s *Session) error {
					weight, set = s.Int("weight"), s.IsSet("weight")
					s.Log().Info("ran")
					return nil
				})
				if r.code != 0 {
					t.Fatalf("Run = %d, want 0; stderr:\n%s", r.code, r.stderr)
				}
				if weight != v.wantWeight || set != v.wantSet {
					t.Errorf("weight = %d (set %v), want %d (set %v)", weight, set, v.wantWeight, v.wantSet)
				}
				if json := strings.HasPrefix(r.stderr, "{"); json != v.wantJSON {
					t.Errorf("JSON log = %v, want %v; stderr:\n%s", json, v.wantJSON, r.stderr)
				}
			})
		}
	}
}
