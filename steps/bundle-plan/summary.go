package main

import (
	"fmt"
	"strings"
)

// summary is the step summary: the plan and a table of its services.
func summary(r *result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Release plan %s\n\n", r.Version)
	fmt.Fprintf(&b, "`%s`\n\n", r.Ref)
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
		fmt.Fprintf(&b, "| %s | %s:%s | `%s` |\n", s.Name, repo, s.Tag, dgst)
	}
	return b.String()
}
