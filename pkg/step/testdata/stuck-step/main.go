// Command stuck-step is a test step that blocks in a call ignoring its
// context, as a library without context support does.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aviary-cd/aviary/pkg/step"
)

var definition = step.Definition{
	Name:        "stuck-step",
	Description: "Block, ignoring cancellation (a test step).",
}

func main() { os.Exit(step.Main(definition, run)) }

func run(ctx context.Context, s *step.Session) error {
	fmt.Fprintln(os.Stderr, "blocked")
	time.Sleep(time.Hour) // no ctx: a signal cannot end this call
	return nil
}
