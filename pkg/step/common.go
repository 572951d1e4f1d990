package step

// Names of the inputs every step has in addition to its own. The CI adapter
// generator wires some of them itself (results-dir on Tekton, dotenv on GitLab).
const (
	InputLogFormat   = "log-format"   // text or json
	InputCI          = "ci"           // auto, github, gitlab, tekton or local
	InputResultsDir  = "results-dir"  // Tekton results directory; giving it selects Tekton
	InputDotenv      = "dotenv"       // GitLab dotenv report file
	InputSummaryFile = "summary-file" // Markdown summary file outside GitHub
)

// CommonInputs returns the inputs every step accepts in addition to the ones
// of its Definition. It returns a new slice on each call.
func CommonInputs() []Input {
	return []Input{
		{Name: InputLogFormat, Description: "Log format on stderr: text or json.", Default: "text"},
		{Name: InputCI, Description: "CI system to write outputs for: auto, github, gitlab, tekton or local.", Default: "auto"},
		{Name: InputResultsDir, Description: "Tekton results directory; giving it selects Tekton when ci is auto."},
		{Name: InputDotenv, Description: "GitLab dotenv report file the outputs are written to.", Default: "aviary.env"},
		{Name: InputSummaryFile, Description: "File the Markdown step summary is appended to outside GitHub; empty writes it to stderr."},
	}
}

// IsCommon reports whether name is one of the CommonInputs.
func IsCommon(name string) bool {
	for _, in := range CommonInputs() {
		if in.Name == name {
			return true
		}
	}
	return false
}

// AllInputs returns the step's own inputs followed by the CommonInputs: every
// input the step binary accepts.
func AllInputs(def Definition) []Input {
	all := make([]Input, 0, len(def.Inputs)+5)
	all = append(all, def.Inputs...)
	return append(all, CommonInputs()...)
}

// WithCommon returns a copy of d whose Inputs also hold the CommonInputs.
func (d Definition) WithCommon() Definition {
	d.Inputs = AllInputs(d)
	d.Outputs = append([]Output(nil), d.Outputs...)
	return d
}

// commonChoices lists the allowed values of common inputs that take one of a
// fixed set.
var commonChoices = map[string][]string{
	InputLogFormat: {"text", "json"},
	InputCI:        {"auto", string(GitHub), string(GitLab), string(Tekton), string(Local)},
}
