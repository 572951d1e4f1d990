package step

// Type is the type of an input's value. Values are parsed strictly before a
// step runs; a value that does not parse exits 2 quoting the bad value.
type Type string

const (
	String   Type = "string"
	Bool     Type = "bool"     // true/false only
	Int      Type = "int"      // base-10 integer
	Duration Type = "duration" // Go duration: 30s, 5m
	List     Type = "list"     // comma- or newline-separated, entries trimmed, empty entries dropped
)

// Input declares one input of a step.
type Input struct {
	Name        string // kebab-case: plan, log-format
	Description string
	Type        Type // zero value means String
	Required    bool
	Default     string // in the same textual form a user would give
	Secret      bool   // masked on GitHub, never logged or echoed
}

// Output declares one output of a step.
type Output struct {
	Name        string // kebab-case: plan-ref
	Description string
}

// Definition is the single description of a step from which its flags,
// environment lookup, help text and CI adapters are all derived.
type Definition struct {
	Name        string // binary name: deploy-canary
	Description string // one line
	Inputs      []Input
	Outputs     []Output
	// Leaves says what a run that ends with exit 3 or 130 may leave behind
	// (what it changed before it failed) and what running the step again
	// does with it. --help and the reference page show it after the exit
	// codes.
	Leaves string
}
