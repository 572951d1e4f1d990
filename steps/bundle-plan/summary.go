package main

import (
	"fmt"
	"strings"

	"github.com/aviary-cd/aviary/pkg/markdown"
)

// summary is the step summary: the plan and a table of its services.
func summary(r *result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Release plan %s\n\n", markdown.Text(r.Version))
	fmt.Fprintf(&b, "%s\n\n", markdown.Code(r.Ref))
	if r.Pushed {
		b.WriteString("Pushed and tagged with the version.")
	} else {
		b.WriteString("The version tag already named this very plan: nothing pushed.")
	}
	if r.Signed {
		b.WriteString(" Signed.")
	}
	b.WriteString("\n\n| service | image | digest |\n| --- | --- | --- |\n")
	for _, s := range r.Services {
		repo, dgst, _ := strings.Cut(s.Image, "@")
		fmt.Fprintf(&b, "| %s | %s | %s |\n", markdown.Text(s.Name), markdown.Text(repo+":"+s.Tag), markdown.Code(dgst))
	}
	return b.String()
}
