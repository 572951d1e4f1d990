package main

import "github.com/aviary-cd/aviary/pkg/step"

type actionInput struct {
	Description string `yaml:"description"`
	Required    bool   `yaml:"required"`
	Default     string `yaml:"default,omitempty"`
}

type actionOutput struct {
	Description string `yaml:"description"`
}

type actionRuns struct {
	Using string `yaml:"using"`
	Image string `yaml:"image"`
}

type actionMetadata struct {
	Name        string                `yaml:"name"`
	Description string                `yaml:"description"`
	Author      string                `yaml:"author"`
	Inputs      yamlMap[actionInput]  `yaml:"inputs,omitempty"`
	Outputs     yamlMap[actionOutput] `yaml:"outputs,omitempty"`
	Runs        actionRuns            `yaml:"runs"`
}

// githubAction renders a Docker container action. GitHub passes each input
// as INPUT_<NAME> (hyphens kept), which the step runtime reads.
func githubAction(def step.Definition) ([]byte, error) {
	a := actionMetadata{
		Name:        "aviary " + def.Name,
		Description: def.Description,
		Author:      "aviary",
		// The image's entrypoint is the step binary (see hack/images); the
		// root variant, since GitHub's workspace belongs to the runner's user.
		Runs: actionRuns{Using: "docker", Image: "docker://" + RootImage(def.Name)},
	}
	for _, in := range adapterInputs(def) {
		a.Inputs = append(a.Inputs, yamlEntry[actionInput]{in.Name, actionInput{
			Description: description(in, "Pass it from a secret."),
			Required:    in.Required,
			Default:     in.Default,
		}})
	}
	for _, out := range def.Outputs {
		a.Outputs = append(a.Outputs, yamlEntry[actionOutput]{out.Name, actionOutput{Description: out.Description}})
	}
	return marshalYAML(a,
		imageNote())
}
