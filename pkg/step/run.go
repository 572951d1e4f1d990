package step

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// RunFunc is a step's body. It receives a context canceled on SIGINT or
// SIGTERM and a Session holding the parsed inputs.
type RunFunc = func(ctx context.Context, s *Session) error

// Main runs a step as a program: it reads os.Args and the environment,
// cancels the context on SIGINT or SIGTERM, calls run and returns the exit
// code for os.Exit. The first signal ends the step within StopGrace, with
// exit code 130, even when run is blocked in a call that ignores its
// context; a second signal kills the process at once:
//
//	func main() { os.Exit(step.Main(catalog.DeployCanary, run)) }
func Main(def Definition, run RunFunc) int {
	deferCollection()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // restore default handling: a second signal ends the process
	}()
	return Run(ctx, def, os.Args[1:], os.Environ(), os.Stdout, os.Stderr, run)
}

// Run is Main without the process: args excludes the program name, env is
// KEY=VALUE pairs. It parses the inputs strictly, calls run, writes the
// outputs for the CI system and returns the exit code. When ctx is canceled
// before run returns an error, the exit code is 130; when run has not
// returned StopGrace after ctx was canceled, Run reports that and returns
// 130 without waiting for it any longer (see Await).
func Run(ctx context.Context, def Definition, args, env []string, stdout, stderr io.Writer, run RunFunc) int {
	if err := def.Validate(); err != nil {
		fmt.Fprintf(stderr, "aviary %s: error: %v\n", def.Name, err)
		return ExitExternal
	}
	all := AllInputs(def)
	envs := envMap(env)

	flags := parseArgs(all, args)
	if flags.help {
		writeHelp(stdout, def)
		return ExitOK
	}
	if flags.version {
		fmt.Fprintln(stdout, Version(def.Name))
		return ExitOK
	}
	vals, errs := resolve(all, flags.values, envs)
	errs = append(flags.errs, errs...)

	// The log format and the system come from inputs that may themselves be
	// wrong: fall back to text and auto-detection to report that.
	format := vals[InputLogFormat].raw
	if checkChoice(InputLogFormat, format) != nil {
		format = "text"
	}
	ci := vals[InputCI].raw
	if checkChoice(InputCI, ci) != nil {
		ci = "auto"
	}
	sec := newSecrets(all, vals)
	log := newLogger(stderr, format, def.Name, sec)
	system := detect(ci, vals[InputResultsDir].raw, envs)
	sk := newSink(system, stdout, stderr, log, envs, vals)
	sk.mask(sec.maskValues())

	s := &Session{
		def: def, inputs: make(map[string]Input, len(all)), vals: vals, env: envs,
		system: system, format: format, log: log, sink: sk, sec: sec, outputs: map[string]string{},
	}
	for _, in := range all {
		s.inputs[in.Name] = in
	}
	if len(errs) > 0 {
		return s.finish(fmt.Errorf("%w: %w", errInputs, errors.Join(errs...)), false)
	}
	if err := checkWritable(sk.targets()); err != nil {
		return s.finish(outcome.Invalid(err), false)
	}

	err := Await(ctx, StopGrace, func() error { return callRun(ctx, s, run) })
	interrupted := err != nil && ctx.Err() != nil
	if cause := context.Cause(ctx); interrupted && cause != context.Canceled && !errors.Is(err, ErrNotStopped) {
		err = fmt.Errorf("%v: %w", cause, err) // names the signal
	}
	return s.finish(err, interrupted)
}

// callRun calls run, turning a panic into an error with its stack.
func callRun(ctx context.Context, s *Session, run RunFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("step panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return run(ctx, s)
}

// finish writes the outputs when the step reached an answer, reports the
// final error once and returns the exit code.
func (s *Session) finish(err error, interrupted bool) int {
	s.mu.Lock()
	misuse := errors.Join(s.misuse...)
	s.mu.Unlock()
	if misuse != nil {
		err = errors.Join(err, misuse)
	}
	code := ExitCode(err, interrupted)
	if code == ExitOK || code == ExitNegative {
		if werr := s.sink.write(s.outputList()); werr != nil {
			// An output the CI system cannot carry fails the step.
			err, code = errors.Join(err, werr), ExitExternal
		}
	}
	if code != ExitOK {
		s.report(err, code)
	}
	return code
}

// report prints the final error once: as log lines (one per line of the
// error) and, on GitHub, as one error annotation.
func (s *Session) report(err error, code int) {
	msg := s.sec.redact(err.Error())
	if code == ExitInterrupted {
		msg = "interrupted: " + msg
	}
	if errors.Is(err, errInputs) {
		msg = strings.TrimPrefix(msg, errInputs.Error()+": ")
		msg = "invalid inputs:\n" + msg
	}
	if s.system == GitHub {
		s.sink.annotate(slog.LevelError, msg)
	}
	if s.format == "json" {
		s.log.Error(msg, "exit_code", code)
		return
	}
	for _, line := range strings.Split(msg, "\n") {
		s.log.Error(line)
	}
	s.log.Error(fmt.Sprintf("exit code %d", code))
}

// newSink returns the sink of system.
func newSink(system System, stdout, stderr io.Writer, log *slog.Logger, env map[string]string, vals map[string]value) sink {
	plain := plainConsole{log: log, stderr: stderr, summaryFile: vals[InputSummaryFile].raw}
	switch system {
	case GitHub:
		return newGitHubSink(stdout, stderr, log, env)
	case GitLab:
		return &gitlabSink{plainConsole: plain, path: vals[InputDotenv].raw}
	case Tekton:
		dir := vals[InputResultsDir].raw
		if dir != "" {
			// Lexically, so that a StepAction can pass $(step.results.<any>.path)/..
			dir = filepath.Clean(dir)
		}
		return &tektonSink{plainConsole: plain, dir: dir}
	}
	return &localSink{plainConsole: plain, stdout: stdout}
}
