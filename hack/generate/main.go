// Command generate writes every CI adapter and reference page from the step
// definitions in pkg/catalog, so that they cannot drift from the code:
//
//	actions/<step>/action.yml     GitHub Actions Docker container action
//	tekton/<step>/task.yaml       Tekton Task (tekton.dev/v1)
//	tekton/<step>/stepaction.yaml Tekton StepAction (tekton.dev/v1beta1)
//	templates/<step>.yml          GitLab CI/CD component
//	docs/steps/<step>.md          reference page
//
// Run it from the repository root with `make generate` (go run ./hack/generate).
// The release runs it with --pin <hack/images record file>, which pins every
// adapter's image to the pushed image's digest.
// Generated files that no step produces any more are removed.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
)

func main() {
	root := flag.String("root", ".", "repository root to write into")
	pin := flag.String("pin", "", "hack/images --record file: pin every adapter's image to the released digest")
	flag.Parse()
	if *pin != "" {
		var err error
		if pins, err = readPins(*pin); err != nil {
			fmt.Fprintf(os.Stderr, "generate: %v\n", err)
			os.Exit(1)
		}
	}
	files, err := Generate(catalog.All())
	if err != nil {
		fmt.Fprintf(os.Stderr, "generate: %v\n", err)
		os.Exit(1)
	}
	if err := Write(*root, files); err != nil {
		fmt.Fprintf(os.Stderr, "generate: %v\n", err)
		os.Exit(1)
	}
}
