package analysis

import "fmt"

// Decision is where a step stands after its latest measurement.
type Decision struct {
	// Done is set once the step has an answer; Status is then pass or fail.
	Done   bool   `json:"done"`
	Status Status `json:"status,omitempty"`
	// Failed counts the measurements held against the failure limit so far.
	Failed int    `json:"failed"`
	Reason string `json:"reason,omitempty"`
}

// Decide says whether a step is over, given the statuses of its measurements
// so far, oldest first. spec must have its defaults filled in. The rules, in
// order:
//
//  1. Failed measurements are counted in total within the step, not only
//     consecutive ones. An inconclusive measurement counts as failed under
//     Inconclusive: fail; an error counts as failed under OnError: fail.
//     Once the count reaches FailureLimit the step fails, at once.
//  2. Until the step has taken Measurements measurements, it goes on.
//  3. Then it fails if it is held: its latest measurement (errors under
//     OnError: ignore are skipped) was inconclusive under Inconclusive: hold,
//     or an error under OnError: hold.
//  4. It fails if no measurement passed, so that no traffic never passes;
//     unless every measurement was an error ignored by OnError: ignore.
//  5. Otherwise it passes.
func Decide(statuses []Status, spec Spec) Decision {
	var d Decision
	passed, counted := 0, 0
	held := false
	for _, s := range statuses {
		switch effective(s, spec) {
		case StatusPass:
			passed++
			held = false
		case StatusFail:
			d.Failed++
			held = false
		case StatusInconclusive:
			held = true
		default: // ignored
			continue
		}
		counted++
	}
	switch {
	case d.Failed >= spec.FailureLimit:
		d.Done, d.Status = true, StatusFail
		d.Reason = fmt.Sprintf("%d failed measurements reached the failure limit of %d", d.Failed, spec.FailureLimit)
	case len(statuses) < spec.Measurements:
	case counted == 0:
		d.Done, d.Status = true, StatusPass
		d.Reason = "no measurement could query Prometheus and errors are ignored"
	case held:
		d.Done, d.Status = true, StatusFail
		d.Reason = fmt.Sprintf("still inconclusive after %d measurements", len(statuses))
	case passed == 0:
		d.Done, d.Status = true, StatusFail
		d.Reason = fmt.Sprintf("none of %d measurements passed", len(statuses))
	default:
		d.Done, d.Status = true, StatusPass
	}
	return d
}

// effective maps a measurement's status to what it counts as under the
// spec's policies: pass, fail, inconclusive (held), or "" (ignored).
func effective(s Status, spec Spec) Status {
	switch s {
	case StatusInconclusive:
		if spec.Inconclusive == Fail {
			return StatusFail
		}
		return StatusInconclusive
	case StatusError:
		switch spec.OnError {
		case Ignore:
			return ""
		case Hold:
			return StatusInconclusive
		default:
			return StatusFail
		}
	default:
		return s
	}
}
