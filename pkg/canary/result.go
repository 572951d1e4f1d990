package canary

import (
	"fmt"
	"slices"
	"strings"
)

// Row is one service's line in a step's report.
type Row struct {
	Service string
	Status  Status
	Stable  string
	Canary  string
	// Weight is the canary's share of requests in percent.
	Weight int
	Note   string
}

// Result is what an operation did, one row per service of the plan.
type Result struct {
	Rows []Row
}

// Services returns the names of the rows whose status is one of statuses.
func (r Result) Services(statuses ...Status) []string {
	var out []string
	for _, row := range r.Rows {
		if slices.Contains(statuses, row.Status) {
			out = append(out, row.Service)
		}
	}
	return out
}

// Markdown renders the rows as a table with a bar per canary weight.
func (r Result) Markdown() string {
	var b strings.Builder
	b.WriteString("| service | status | stable | canary | weight | |\n| --- | --- | --- | --- | ---: | --- |\n")
	for _, row := range r.Rows {
		weight, bar := "", ""
		if row.Canary != "" {
			weight, bar = fmt.Sprintf("%d%%", row.Weight), Bar(row.Weight, 20)
		}
		status := string(row.Status)
		if row.Note != "" {
			status += ": " + row.Note
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | `%s` |\n", row.Service, status, dash(row.Stable), dash(row.Canary), weight, bar)
	}
	return b.String()
}

// Bar draws weight percent as a bar width characters wide.
func Bar(weight, width int) string {
	full := (weight*width + 50) / 100
	full = max(0, min(width, full))
	return strings.Repeat("█", full) + strings.Repeat("·", width-full)
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
