package analysis

import (
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	const (
		P = StatusPass
		F = StatusFail
		I = StatusInconclusive
		E = StatusError
	)
	spec := func(n, limit int, inconclusive, onError Policy) Spec {
		return Spec{Measurements: n, FailureLimit: limit, Inconclusive: inconclusive, OnError: onError}.WithDefaults()
	}
	hold := spec(3, 2, Hold, Fail)
	tests := []struct {
		name     string
		spec     Spec
		statuses []Status
		done     bool
		want     Status
		failed   int
		reason   string
	}{
		{"first pass goes on", hold, []Status{P}, false, "", 0, ""},
		{"all pass", hold, []Status{P, P, P}, true, P, 0, ""},
		{"one failure is tolerated", hold, []Status{P, F}, false, "", 1, ""},
		{"one failure at the end is tolerated", hold, []Status{P, P, F}, true, P, 1, ""},
		{"two consecutive failures fail at once", hold, []Status{F, F}, true, F, 2, "2 failed measurements reached the failure limit of 2"},
		{"failures are counted in total, not consecutively", hold, []Status{F, P, F}, true, F, 2, "failure limit"},
		{"limit 1 fails on the first failure", spec(3, 1, Hold, Fail), []Status{F}, true, F, 1, ""},
		{"hold keeps measuring", hold, []Status{I, I}, false, "", 0, ""},
		{"hold resolved by a later pass", hold, []Status{I, I, P}, true, P, 0, ""},
		{"hold still open when measurements run out fails", hold, []Status{P, P, I}, true, F, 0, "still inconclusive after 3 measurements"},
		{"no traffic under hold fails, never passes", hold, []Status{I, I, I}, true, F, 0, "still inconclusive"},
		{"inconclusive counts as failed under fail", spec(3, 2, Fail, Fail), []Status{I, I}, true, F, 2, "failure limit"},
		{"one inconclusive tolerated under fail", spec(3, 2, Fail, Fail), []Status{I, P, P}, true, P, 1, ""},
		{"no pass at all fails even under the limit", spec(1, 2, Fail, Fail), []Status{I}, true, F, 1, "none of 1 measurements passed"},
		{"prometheus down fails safe", hold, []Status{E, E}, true, F, 2, "failure limit"},
		{"prometheus blip tolerated", hold, []Status{P, E, P}, true, P, 1, ""},
		{"errors held under hold", spec(3, 2, Hold, Hold), []Status{P, P, E}, true, F, 0, "still inconclusive"},
		{"errors ignored under ignore", spec(3, 2, Hold, Ignore), []Status{E, P, E}, true, P, 0, ""},
		{"only errors under ignore pass", spec(3, 2, Hold, Ignore), []Status{E, E, E}, true, P, 0, "errors are ignored"},
		{"ignored errors do not hide a failure", spec(3, 1, Hold, Ignore), []Status{E, F}, true, F, 1, ""},
		{"more measurements than the default", spec(5, 3, Hold, Fail), []Status{P, F, P, F, P}, true, P, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.statuses, tt.spec)
			if d.Done != tt.done || d.Status != tt.want || d.Failed != tt.failed {
				t.Errorf("Decide(%v) = done %v, %q, %d failed; want done %v, %q, %d failed (reason %q)",
					tt.statuses, d.Done, d.Status, d.Failed, tt.done, tt.want, tt.failed, d.Reason)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("Decide(%v).Reason = %q, want it to contain %q", tt.statuses, d.Reason, tt.reason)
			}
		})
	}
}
