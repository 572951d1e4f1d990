package main

import (
	"fmt"
	"strings"

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
	fmt.Fprintf(&b, "### verify-artifacts: plan %s %s\n\n", code(rep.Plan), verdict)
	b.WriteString("| service | digest | signer or identity | verdict |\n|---|---|---|---|\n")
	row := func(name string, c signature.Check) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, code(short(c.Digest)), signer(c), verdictOf(c))
	}
	row("(plan)", rep.PlanCheck)
	for _, c := range rep.Services {
		row(c.Service, c)
	}
	if fs := rep.Failures(); len(fs) > 0 {
		fmt.Fprintf(&b, "\n%d problem(s):\n\n", len(fs))
		for _, f := range fs {
			fmt.Fprintf(&b, "- %s\n", escape(f.String()))
		}
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "\n> warning: %s\n", escape(w))
	}
	return b.String()
}

func signer(c signature.Check) string {
	var parts []string
	if c.Signer != nil {
		parts = append(parts, escape(c.Signer.String()))
	}
	for _, a := range c.Attestations {
		parts = append(parts, escape("attested "+a.PredicateType))
	}
	if c.Exception != "" {
		parts = append(parts, escape("exception: "+c.Exception))
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
		reasons = append(reasons, f.Reason.String())
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

func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

func escape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
