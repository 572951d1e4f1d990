package main

import (
	"fmt"
	"strings"

	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/signature"
)

// summary is the step summary: one table row per artifact, then every
// failure in plain words.
func summary(rep signature.Report) string {
	var b strings.Builder
	verdict := "verified"
	if !rep.Verified {
		verdict = "**not verified**"
	}
	fmt.Fprintf(&b, "### verify-artifacts: plan %s %s\n\n", markdown.Code(rep.Plan), verdict)
	b.WriteString("| service | digest | signer or identity | verdict |\n|---|---|---|---|\n")
	row := func(name string, c signature.Check) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", markdown.Text(name), markdown.Code(short(c.Digest)), signer(c), verdictOf(c))
	}
	row("(plan)", rep.PlanCheck)
	for _, c := range rep.Services {
		row(c.Service, c)
	}
	if fs := rep.Failures(); len(fs) > 0 {
		fmt.Fprintf(&b, "\n%d problem(s):\n\n", len(fs))
		for _, f := range fs {
			fmt.Fprintf(&b, "- %s\n", markdown.Text(f.String()))
		}
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "\n> warning: %s\n", markdown.Text(w))
	}
	return b.String()
}

func signer(c signature.Check) string {
	var parts []string
	if c.Signer != nil {
		parts = append(parts, markdown.Text(c.Signer.String()))
	}
	for _, a := range c.Attestations {
		parts = append(parts, markdown.Text("attested "+a.PredicateType))
	}
	if c.Exception != "" {
		parts = append(parts, markdown.Text("exception: "+c.Exception))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "<br>")
}

func verdictOf(c signature.Check) string {
	switch c.Verdict {
	case signature.VerdictPass:
		return "pass"
	case signature.VerdictNotChecked:
		return "not checked (the plan's signature failed)"
	}
	var reasons []string
	for _, f := range c.Failures {
		reasons = append(reasons, markdown.Text(f.Reason.String()))
	}
	return "**fail** (" + strings.Join(reasons, ", ") + ")"
}

func short(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	if d == "" {
		return "-"
	}
	return d
}
