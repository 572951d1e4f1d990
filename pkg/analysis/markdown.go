package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aviary-cd/aviary/pkg/markdown"
)

// Markdown renders the report for a CI step summary: the settings, then per
// step its weight, each metric against its threshold with the verdict, the
// webhook calls, and at the end a Mermaid xychart-beta chart of the canary
// weight and its success rate over time (GitHub renders it).
func (a *Analyzer) Markdown() string { return a.Report().Markdown() }

// Markdown renders r; see Analyzer.Markdown.
func (r Report) Markdown() string {
	var b strings.Builder
	b.WriteString("### Canary analysis\n\n")
	if !r.Enabled {
		b.WriteString("No analysis was configured: no Prometheus URL and no webhook. Traffic steps were not gated.\n")
		return b.String()
	}
	b.WriteString(r.Settings.describe())
	if r.Guard != nil {
		fmt.Fprintf(&b, "\n**The guard fired** at %s on %s: traffic went back to stable at once.\n",
			r.Guard.Time.UTC().Format("15:04:05.000"), markdown.Text(r.Guard.String()))
	}
	if len(r.Steps) == 0 {
		b.WriteString("\nNo step was analysed.\n")
		return b.String()
	}
	for _, s := range r.Steps {
		writeStep(&b, s)
	}
	writeChart(&b, r.Steps)
	return b.String()
}

func (s Settings) describe() string {
	var parts []string
	if s.PrometheusURL != "" {
		parts = append(parts, fmt.Sprintf("Metrics every %v, %d measurements per step; a step fails at %d failed measurements",
			s.Interval.Duration, s.Measurements, s.FailureLimit))
		if s.MinRequests > 0 {
			parts = append(parts, fmt.Sprintf("a measurement needs %d canary requests", s.MinRequests))
		}
		parts = append(parts, "inconclusive: "+string(s.Inconclusive), "Prometheus errors: "+string(s.OnError))
	}
	out := strings.Join(parts, "; ")
	if out != "" {
		out += ".\n"
	}
	if g := s.Guard; g != nil {
		var limits []string
		if g.SuccessRate > 0 {
			limits = append(limits, "success rate below "+formatValue(g.SuccessRate, "")+"%")
		}
		if g.MaxP99Ms > 0 {
			limits = append(limits, "p99 above "+formatValue(g.MaxP99Ms, "ms"))
		}
		out += fmt.Sprintf("\nGuard: every %v over the last %v, fails the canary at once on %s with at least %d requests.\n",
			g.Every.Duration, g.Window.Duration, strings.Join(limits, " or "), g.MinRequests)
	}
	if len(s.Metrics) > 0 {
		out += "\n| metric | threshold |\n| --- | --- |\n"
		for _, name := range sortedKeys(s.Metrics) {
			out += fmt.Sprintf("| %s | %s |\n", markdown.Text(name), markdown.Text(s.Metrics[name]))
		}
	}
	if len(s.Webhooks) > 0 {
		names := make([]string, len(s.Webhooks))
		for i, w := range s.Webhooks {
			names[i] = markdown.Text(w)
		}
		out += "\nWebhooks: " + strings.Join(names, ", ") + ".\n"
	}
	return out
}

func writeStep(b *strings.Builder, s StepReport) {
	title := fmt.Sprintf("weight %d%%", s.Weight)
	switch s.Phase {
	case PhasePromotion:
		title = fmt.Sprintf("before promotion (weight %d%%)", s.Weight)
	case PhaseSwitch:
		title = "before the switch to the rebuilt side"
	}
	fmt.Fprintf(b, "\n#### Step %d: %s — %s\n\n", s.Step, title, statusWord(s.Status))
	if s.Reason != "" {
		fmt.Fprintf(b, "%s\n\n", markdown.Text(s.Reason))
	}
	if len(s.Measurements) > 0 {
		b.WriteString("| # | time (UTC) | service | metric | canary | stable | threshold | verdict |\n")
		b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, m := range s.Measurements {
			for _, res := range m.Results {
				metric := res.Metric
				if metric == "" {
					metric = "(query)"
				}
				verdict := string(res.Status)
				if res.Reason != "" {
					verdict += ": " + res.Reason
				}
				fmt.Fprintf(b, "| %d/%d | %s | %s | %s | %s | %s | %s | %s |\n",
					m.Index, m.Of, m.Time.UTC().Format(time.TimeOnly), markdown.Text(res.Service), markdown.Text(metric),
					markdown.Text(value(res.Canary, res.Metric)), markdown.Text(value(res.Stable, res.Metric)), markdown.Text(res.Threshold), markdown.Text(verdict))
			}
		}
	}
	for _, w := range s.Webhooks {
		fmt.Fprintf(b, "\nWebhook %s for %s: %s in %v", markdown.Code(w.Name), markdown.Text(w.Service), statusWord(w.Status), w.Duration.Duration)
		if w.Code != 0 {
			fmt.Fprintf(b, " (HTTP %d)", w.Code)
		}
		if w.Reason != "" {
			fmt.Fprintf(b, ": %s", markdown.Text(w.Reason))
		}
		b.WriteString("\n")
	}
}

// writeChart draws the weight and the lowest success rate across services
// at each measurement. Measurements without a success rate are left out, so
// both lines have the same points; without any success rate only the
// weight is drawn.
func writeChart(b *strings.Builder, steps []StepReport) {
	var all []Measurement
	for _, s := range steps {
		all = append(all, s.Measurements...)
	}
	if len(all) == 0 {
		return
	}
	start := steps[0].Started
	var labels, weights, rates []string
	haveRate := false
	for _, m := range all {
		if _, ok := lowestSuccess(m); ok {
			haveRate = true
		}
	}
	for _, m := range all {
		rate, ok := lowestSuccess(m)
		if haveRate && !ok {
			continue
		}
		labels = append(labels, strconv.Quote(fmt.Sprintf("%gs", m.Time.Sub(start).Round(100*time.Millisecond).Seconds())))
		weights = append(weights, strconv.Itoa(m.Weight))
		if ok {
			rates = append(rates, strconv.FormatFloat(math.Round(rate*100)/100, 'f', -1, 64))
		}
	}
	title := "Canary weight (%)"
	if haveRate {
		title = "Canary weight and lowest success rate (%)"
	}
	b.WriteString("\n```mermaid\nxychart-beta\n")
	fmt.Fprintf(b, "    title %q\n", title)
	fmt.Fprintf(b, "    x-axis \"time since the first step\" [%s]\n", strings.Join(labels, ", "))
	b.WriteString("    y-axis \"percent\" 0 --> 100\n")
	fmt.Fprintf(b, "    line [%s]\n", strings.Join(weights, ", "))
	if haveRate {
		fmt.Fprintf(b, "    line [%s]\n", strings.Join(rates, ", "))
	}
	b.WriteString("```\n")
	if haveRate {
		b.WriteString("\nFirst line: canary weight; second line: the lowest canary success rate across services, at each measurement with data.\n")
	}
}

func lowestSuccess(m Measurement) (float64, bool) {
	low, ok := math.Inf(1), false
	for _, r := range m.Results {
		if r.Metric == MetricSuccessRate && r.Canary != nil {
			low, ok = math.Min(low, *r.Canary), true
		}
	}
	return low, ok
}

func value(v *float64, metric string) string {
	if v == nil {
		return "—"
	}
	unit := ""
	switch metric {
	case MetricSuccessRate:
		unit = "%"
	case MetricP99Latency:
		unit = "ms"
	case MetricRequests:
		unit = "req"
	}
	return formatValue(*v, unit)
}

func statusWord(s Status) string {
	switch s {
	case StatusPass:
		return "✅ pass"
	case StatusFail:
		return "❌ fail"
	case StatusError:
		return "⚠️ interrupted"
	case "":
		return "running"
	default:
		return string(s)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Built-in metrics first, in their usual order, then custom ones.
	order := map[string]int{MetricSuccessRate: 0, MetricP99Latency: 1}
	rank := func(k string) int {
		if r, ok := order[k]; ok {
			return r
		}
		return 2
	}
	slices.SortFunc(keys, func(x, y string) int {
		return cmp.Or(cmp.Compare(rank(x), rank(y)), strings.Compare(x, y))
	})
	return keys
}
