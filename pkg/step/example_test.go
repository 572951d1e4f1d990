package step_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/step"
)

func ExampleRun() {
	def := step.Definition{
		Name:        "double",
		Description: "Double a number.",
		Inputs:      []step.Input{{Name: "n", Description: "The number.", Type: step.Int, Required: true}},
		Outputs:     []step.Output{{Name: "result", Description: "Twice n."}},
	}
	run := func(ctx context.Context, s *step.Session) error {
		s.SetOutput("result", strconv.Itoa(2*s.Int("n")))
		return nil
	}
	// Outside any CI system the outputs are one JSON object on stdout.
	code := step.Run(context.Background(), def, []string{"--n=21"}, []string{"AVIARY_LOG_FORMAT=json"},
		os.Stdout, io.Discard, run)
	fmt.Println("exit code", code)
	// Output:
	// {
	//   "result": "42"
	// }
	// exit code 0
}

func ExampleExitCode() {
	var codes []int
	for _, c := range step.ExitCodes() {
		codes = append(codes, c.Code)
	}
	fmt.Println(codes)
	fmt.Println(step.ExitCode(outcome.Negativef("analysis failed"), false))
	// Output:
	// [0 1 2 3 130]
	// 1
}
