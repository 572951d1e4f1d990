// Command echo-step is a test step: it copies its inputs to its outputs.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/step"
)

var definition = step.Definition{
	Name:        "echo-step",
	Description: "Copy inputs to outputs (a test step).",
	Inputs: []step.Input{
		{Name: "message", Description: "Copied to the message output.", Required: true},
		{Name: "lines", Description: "Copied to the lines output (may be multi-line)."},
		{Name: "count", Description: "Copied to the count output.", Type: step.Int, Default: "1"},
		{Name: "token", Description: "A secret that is logged, to check it is redacted.", Secret: true},
		{Name: "fail", Description: "Fail with this outcome: negative, invalid, external, plain."},
		{Name: "wait", Description: "Wait until interrupted.", Type: step.Bool, Default: "false"},
	},
	Outputs: []step.Output{
		{Name: "message", Description: "The message input."},
		{Name: "lines", Description: "The lines input."},
		{Name: "count", Description: "The count input."},
	},
}

func main() { os.Exit(step.Main(definition, run)) }

func run(ctx context.Context, s *step.Session) error {
	s.Log().Info("echoing", "token", s.String("token"))
	end := s.Group("outputs")
	s.SetOutput("message", s.String("message"))
	s.SetOutput("lines", s.String("lines"))
	s.SetOutput("count", fmt.Sprint(s.Int("count")))
	end()
	s.Summary("## echo-step\n\nmessage: " + s.String("message"))
	if s.Bool("wait") {
		fmt.Fprintln(os.Stderr, "waiting")
		<-ctx.Done()
		return fmt.Errorf("waiting: %w", ctx.Err())
	}
	err := errors.New("asked to fail")
	switch s.String("fail") {
	case "negative":
		return outcome.Negative(err)
	case "invalid":
		return outcome.Invalid(err)
	case "external":
		return outcome.External(err)
	case "plain":
		return err
	}
	return nil
}
