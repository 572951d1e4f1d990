// Package outcome classifies errors by what a step's caller should do about
// them, so that exit codes are decided in exactly one place (package step)
// while library packages only say what kind of failure happened.
//
// A library wraps an error with one of the constructors:
//
//	Negative  the step ran and the answer is "no" (verification failed,
//	          analysis failed and traffic was rolled back, a refusal).
//	Invalid   the input or configuration is wrong; retrying will not help.
//	External  a system outside aviary (registry, API server, Prometheus)
//	          failed, after retries.
//
// Unclassified errors are treated as External by the step runtime, and
// context cancellation as an interruption.
package outcome
