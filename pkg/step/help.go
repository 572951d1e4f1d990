package step

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// writeHelp prints the step's description, inputs, outputs and exit codes.
func writeHelp(w io.Writer, def Definition) {
	fmt.Fprintf(w, "%s: %s\n%s\n\n", def.Name, def.Description, Version(def.Name))
	fmt.Fprintf(w, "Usage: %s [--input=value ...]\n       %s --help | --version\n\n", def.Name, def.Name)
	fmt.Fprintf(w, "Each input is read from --name, then INPUT_NAME (GitHub), then AVIARY_NAME, then its default.\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Inputs:")
	for _, in := range AllInputs(def) {
		fmt.Fprintf(tw, "  --%s\t%s\t%s\n", in.Name, typeName(in.Type), inputNotes(in))
		fmt.Fprintf(tw, "  \t\t%s\n", in.Description)
	}
	tw.Flush()
	if len(def.Outputs) > 0 {
		fmt.Fprintln(w, "\nOutputs:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, out := range def.Outputs {
			fmt.Fprintf(tw, "  %s\t%s\n", out.Name, out.Description)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\nExit codes:")
	for _, c := range ExitCodes() {
		fmt.Fprintf(w, "  %3d  %s\n", c.Code, c.Meaning)
	}
	if def.Leaves != "" {
		fmt.Fprintf(w, "\nAfter exit 3 or 130: %s\n", def.Leaves)
	}
}

func typeName(t Type) string {
	if t == "" {
		return string(String)
	}
	return string(t)
}

func inputNotes(in Input) string {
	var notes []string
	if in.Required {
		notes = append(notes, "required")
	}
	if in.Default != "" {
		notes = append(notes, fmt.Sprintf("default %q", in.Default))
	}
	if in.Secret {
		notes = append(notes, "secret")
	}
	notes = append(notes, "env "+Env(in.Name))
	return strings.Join(notes, ", ")
}
