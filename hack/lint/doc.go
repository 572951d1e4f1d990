// Package lint checks the generated CI adapters with the tools of the CI
// systems themselves: every actions/*/action.yml with actionlint (through a
// workflow that uses each action locally, and the example workflows of
// examples/ with their uses of the actions made local), every
// tekton/*/task.yaml and tekton/*/stepaction.yaml with Tekton's own
// validation. It is a module of
// its own so that actionlint and tektoncd/pipeline stay out of the main
// module. Run it from the repository root with `make test-lint`, or
// `cd hack/lint && go test ./...`.
package lint
