package step

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Session is a step's view of its run: its parsed inputs, its logger, and
// where its outputs, summary and annotations go. Its methods are safe for
// concurrent use.
//
// Asking for an input that is not declared, or with the wrong type, and
// setting an output that is not declared or that holds a secret value are
// bugs in the step: the call is ignored, logged, and the step fails with
// exit code 3 when run returns.
type Session struct {
	def    Definition
	inputs map[string]Input
	vals   map[string]value
	env    map[string]string
	system System
	format string // log format: text or json
	log    *slog.Logger
	sink   sink
	sec    *secrets

	mu      sync.Mutex
	outputs map[string]string
	misuse  []error
}

// Name is the step's name.
func (s *Session) Name() string { return s.def.Name }

// System is the CI system the step writes its outputs for.
func (s *Session) System() System { return s.system }

// Getenv returns the value of an environment variable of the step's
// environment, for CI facts such as GITHUB_RUN_ID. Inputs are read with the
// typed accessors, not with Getenv.
func (s *Session) Getenv(key string) string { return s.env[key] }

// lookup returns the resolved value of a declared input whose type is one of
// types, or records a misuse.
func (s *Session) lookup(name string, types ...Type) (value, bool) {
	in, ok := s.inputs[name]
	if !ok {
		s.misused(fmt.Errorf("step asked for undeclared input %q", name))
		return value{}, false
	}
	t := in.Type
	if t == "" {
		t = String
	}
	if len(types) > 0 && !slices.Contains(types, t) {
		s.misused(fmt.Errorf("step read input %q of type %s as %s", name, t, types[0]))
		return value{}, false
	}
	return s.vals[name], true
}

// String returns an input's text as given (or its default), whatever its type.
func (s *Session) String(name string) string {
	v, _ := s.lookup(name)
	return v.raw
}

// Bool returns a bool input.
func (s *Session) Bool(name string) bool {
	v, ok := s.lookup(name, Bool)
	b, _ := v.parsed.(bool)
	return ok && b
}

// Int returns an int input.
func (s *Session) Int(name string) int {
	v, _ := s.lookup(name, Int)
	n, _ := v.parsed.(int)
	return n
}

// Duration returns a duration input.
func (s *Session) Duration(name string) time.Duration {
	v, _ := s.lookup(name, Duration)
	d, _ := v.parsed.(time.Duration)
	return d
}

// List returns a list input: entries split on commas and newlines, trimmed,
// empty ones dropped. The slice is the caller's.
func (s *Session) List(name string) []string {
	v, _ := s.lookup(name, List)
	l, _ := v.parsed.([]string)
	return slices.Clone(l)
}

// IsSet reports whether an input was given explicitly, by flag or
// environment, rather than defaulted. An empty value counts as
// not given.
func (s *Session) IsSet(name string) bool {
	v, _ := s.lookup(name)
	return v.set
}

// Log is the step's logger on stderr: human text, or JSON with
// --log-format=json. Secret values are redacted from everything it writes.
func (s *Session) Log() *slog.Logger { return s.log }

// SetOutput sets a declared output. Outputs are written for the CI system
// when run returns (see the package documentation); setting one twice keeps
// the last value.
func (s *Session) SetOutput(name, value string) {
	if !slices.ContainsFunc(s.def.Outputs, func(o Output) bool { return o.Name == name }) {
		s.misused(fmt.Errorf("step set undeclared output %q", name))
		return
	}
	if s.sec.contains(value) {
		s.misused(fmt.Errorf("step refused to put a secret value into output %q", name))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outputs[name] = value
}

// Summary appends Markdown to the step summary: GITHUB_STEP_SUMMARY on
// GitHub, the summary-file input elsewhere, or stderr when neither is set.
func (s *Session) Summary(markdown string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink.summary(s.sec.redact(markdown))
}

// Group starts a collapsible section of the log (::group:: on GitHub, a
// heading line elsewhere). Call the returned function to end it.
func (s *Session) Group(title string) (end func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	endGroup := s.sink.group(s.sec.redact(title))
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		endGroup()
	}
}

// Warning reports a warning: an annotation on GitHub, a log line elsewhere.
func (s *Session) Warning(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink.annotate(slog.LevelWarn, s.sec.redact(msg))
}

// Errorf reports an error that does not end the step: an annotation on
// GitHub, a log line elsewhere. To fail the step, return an error from run.
func (s *Session) Errorf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink.annotate(slog.LevelError, s.sec.redact(fmt.Sprintf(format, args...)))
}

// Progress logs a progress line on stderr, for long waits.
func (s *Session) Progress(msg string) {
	s.log.Info(msg)
}

func (s *Session) misused(err error) {
	s.log.Error(err.Error())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.misuse = append(s.misuse, err)
}

// outputList returns every declared output in declaration order, unset ones
// empty, so that every system sees the same set of outputs.
func (s *Session) outputList() []outputValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	outs := make([]outputValue, len(s.def.Outputs))
	for i, o := range s.def.Outputs {
		outs[i] = outputValue{name: o.Name, value: s.outputs[o.Name]}
	}
	return outs
}
