// Package step is the runtime every aviary step binary is built on. A step is
// a Definition (name, inputs, outputs; see package catalog) and a run
// function; package step turns the command line and the environment into
// typed inputs, gives run a logger and a place to put outputs, writes the
// outputs the way the CI system expects, and maps the result to an exit code:
//
//	func main() { os.Exit(step.Main(catalog.DeployCanary, run)) }
//
//	func run(ctx context.Context, s *step.Session) error {
//		plan := s.String("plan")
//		...
//		s.SetOutput("weight", strconv.Itoa(w))
//		return nil
//	}
//
// # Inputs
//
// Each input is read from, in order:
//
//  1. the flag --<name>=value or --<name> value (a bare --<name> for a bool);
//  2. INPUT_<NAME>: the name upper-cased, hyphens kept (INPUT_PLAN-REF), which
//     is how GitHub passes the inputs of a Docker action;
//  3. AVIARY_<NAME>: the name upper-cased, hyphens replaced (AVIARY_PLAN_REF);
//  4. the default of the Definition.
//
// Surrounding white space is trimmed from every value, wherever it comes
// from, and an empty or blank value counts as unset: every CI adapter
// passes every input even when it is empty (GitHub sets INPUT_ for each
// declared action input, a Tekton Task passes --name=$(params.name), a GitLab
// component sets AVIARY_ from each spec input), so the default applies and
// IsSet reports false. Values are parsed strictly (bool is true or
// false; int base 10; duration like 30s; list split on commas and newlines)
// before run is called; every input error is reported at once and the step
// exits 2. --help prints the step's description, build, inputs, outputs and
// exit codes; --version prints the build alone (Version), except in a step
// that has an input named version.
//
// Every step also accepts the CommonInputs: log-format (text or json), ci
// (auto, github, gitlab, tekton, local), results-dir (Tekton), dotenv
// (GitLab, default aviary.env) and summary-file.
//
// # Secrets
//
// A secret input's value, and each line of a multi-line one, is masked on
// GitHub (::add-mask::), redacted as *** from everything the logger, the
// summary and the annotations write, and refused as (part of) an output.
//
// # Outputs
//
// Outputs are collected while run runs and written once it returns, only when
// the step reached an answer (exit 0 or 1); after any other failure nothing
// is written apart from the error report. Every declared output is written,
// unset ones as the empty string. The CI system is the ci input, or else
// detected: GITHUB_ACTIONS=true, GITLAB_CI=true, a results-dir, or local.
//
//	github  name<<ghadelimiter_<random> blocks appended to GITHUB_OUTPUT; the
//	        summary appended to GITHUB_STEP_SUMMARY; workflow commands for
//	        masks, groups and annotations on stdout.
//	tekton  one file per result in results-dir. All results of a Task share
//	        a 4096-byte termination message; the step checks the JSON its
//	        results take in it against that budget (keeping 128 bytes for
//	        Tekton) before writing any.
//	gitlab  KEY=value lines in the dotenv file (plan-ref → PLAN_REF), for
//	        artifacts:reports:dotenv. Values must be single-line; at most 50
//	        variables and 5 KiB.
//	local   one JSON object of all outputs on stdout.
//
// All outputs are validated before any is written. An output the system
// cannot carry fails the step with exit code 3 and writes none.
//
// # Logs
//
// Logs go to stderr: "aviary <step>: message key=value" lines, or JSON with
// --log-format=json. The final error is printed once on stderr, and on
// GitHub also as an error annotation.
//
// Text a step did not write itself (names from a plan, errors from a
// registry) is made inert by the writers, once: control characters and
// bidirectional overrides are written as escapes in logs, annotations,
// groups and summaries; every line of a multi-line log message carries the
// prefix; GitHub's workflow-command markers ("##[" anywhere, "::" at a line
// start) are broken on stdout and stderr. Markdown structure is the summary
// builder's business: it embeds outside text with package markdown.
//
// # Exit codes
//
//	  0  success
//	  1  the step ran and its answer is no (outcome.Negative): verification
//	     failed, analysis failed and traffic was rolled back, a refusal;
//	     outputs are written
//	  2  invalid inputs or configuration (input errors, outcome.Invalid)
//	  3  a system outside aviary failed (outcome.External), an output could
//	     not be written, or an unclassified error
//	130  interrupted by SIGINT or SIGTERM (context canceled)
//
// ExitCode is the one place errors become exit codes.
//
// # Signals
//
// The first SIGINT or SIGTERM cancels run's context and the step ends with
// 130 and "interrupted: <signal>: <what it was doing>". A run still blocked
// StopGrace (5s) later, in a call that ignores its context, is left behind:
// the runtime reports that it did not stop and returns 130 itself (Await).
// A second signal kills the process at once.
package step
