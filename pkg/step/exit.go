package step

import (
	"context"
	"errors"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Exit codes of every step. ExitCode is the one place errors become them.
const (
	ExitOK          = 0   // the step did what it was asked
	ExitNegative    = 1   // the step ran and its answer is no (outcome.Negative)
	ExitInvalid     = 2   // bad inputs or configuration (outcome.Invalid, input errors)
	ExitExternal    = 3   // an external system failed (outcome.External), or anything unclassified
	ExitInterrupted = 130 // interrupted by SIGINT/SIGTERM, or the context was canceled
)

// ExitCodeInfo describes one exit code, for help text and generated docs.
type ExitCodeInfo struct {
	Code    int
	Meaning string
}

// ExitCodes lists every exit code a step can end with.
func ExitCodes() []ExitCodeInfo {
	return []ExitCodeInfo{
		{ExitOK, "Success."},
		{ExitNegative, "The step ran and its answer is no: verification failed, analysis failed and traffic was rolled back, a refusal. Outputs are written."},
		{ExitInvalid, "Invalid inputs or configuration, or an output file or results directory the step may not write (checked before it acts); retrying will not help. Nothing is written."},
		{ExitExternal, "A system outside aviary (registry, API server, Prometheus) failed after retries, an output could not be written, or an unclassified error. No outputs are written; what the step changed before the failure stays, and running it again repairs it."},
		{ExitInterrupted, "Interrupted (SIGINT or SIGTERM). No outputs are written; what the step changed before the signal stays, and running it again repairs it."},
	}
}

// ExitCode maps the error run returned to the step's exit code. interrupted
// says whether the step's context was canceled by a signal.
func ExitCode(err error, interrupted bool) int {
	if err == nil {
		return ExitOK
	}
	if interrupted || errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	if errors.Is(err, errInputs) {
		return ExitInvalid
	}
	switch outcome.KindOf(err) {
	case outcome.KindNegative:
		return ExitNegative
	case outcome.KindInvalid:
		return ExitInvalid
	}
	return ExitExternal
}
