package markdown_test

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/markdown"
)

func Example() {
	name := "web\n| evil | [click](https://evil.example) |"
	fmt.Printf("| %s | %s |\n", markdown.Text(name), markdown.Code("reg.example/web@sha256:4f9c"))
	// Output:
	// | web \| evil \| \[click\](https://evil.example) \| | `reg.example/web@sha256:4f9c` |
}
