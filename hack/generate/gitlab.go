package main

import (
	"bytes"
	"strconv"

	"github.com/aviary-cd/aviary/pkg/step"
)

type gitlabInput struct {
	Type        string `yaml:"type,omitempty"`
	Description string `yaml:"description"`
	Default     any    `yaml:"default,omitempty"`
}

type gitlabSpec struct {
	Spec struct {
		Inputs yamlMap[gitlabInput] `yaml:"inputs"`
	} `yaml:"spec"`
}

type gitlabImage struct {
	Name       string   `yaml:"name"`
	Entrypoint []string `yaml:"entrypoint,flow"`
}

type gitlabArtifacts struct {
	Reports struct {
		Dotenv string `yaml:"dotenv"`
	} `yaml:"reports"`
}

type gitlabJob struct {
	Stage     string          `yaml:"stage"`
	Image     gitlabImage     `yaml:"image"`
	Variables yamlMap[string] `yaml:"variables"`
	Script    []string        `yaml:"script"`
	Artifacts gitlabArtifacts `yaml:"artifacts"`
}

// gitlabInputFor maps a step input to a component input. Ints with a default
// become numbers and bools booleans; everything else, and every input
// without a default, is a string so that leaving it out means "unset".
func gitlabInputFor(in step.Input) gitlabInput {
	gi := gitlabInput{Description: in.Description}
	if in.Required {
		return gi // no default: the component requires it
	}
	switch {
	case in.Type == step.Bool:
		gi.Type = "boolean"
		gi.Default = in.Default == "true"
		return gi
	case in.Type == step.Int && in.Default != "":
		n, _ := strconv.Atoi(in.Default) // Validate checked it parses
		gi.Type = "number"
		gi.Default = n
		return gi
	}
	gi.Default = in.Default
	return gi
}

// gitlabComponent renders a CI/CD component: a spec with the inputs, then
// one job that runs the step binary with AVIARY_<NAME> variables and keeps
// the outputs as a dotenv report. Secret inputs are not component inputs,
// because inputs are part of the pipeline configuration: set them as masked
// CI/CD variables named AVIARY_<NAME>.
func gitlabComponent(def step.Definition) ([]byte, error) {
	var spec gitlabSpec
	spec.Spec.Inputs = yamlMap[gitlabInput]{
		{"job-name", gitlabInput{Description: "Name of the job.", Default: "aviary-" + def.Name}},
		{"stage", gitlabInput{Description: "Stage the job runs in.", Default: "deploy"}},
	}
	job := gitlabJob{
		Stage: "$[[ inputs.stage ]]",
		Image: gitlabImage{Name: ShellImage(def.Name), Entrypoint: []string{""}},
		// The system is named, as for Tekton: runners other than GitLab's
		// (gitlab-ci-local sets GITLAB_CI=false) still get dotenv outputs.
		Script: []string{"/" + def.Name + " --ci=gitlab"},
	}
	job.Artifacts.Reports.Dotenv = "aviary.env"
	for _, in := range adapterInputs(def) {
		if in.Secret {
			continue
		}
		spec.Spec.Inputs = append(spec.Spec.Inputs, yamlEntry[gitlabInput]{in.Name, gitlabInputFor(in)})
		job.Variables = append(job.Variables, yamlEntry[string]{step.Env(in.Name), "$[[ inputs." + in.Name + " ]]"})
	}
	head, err := marshalYAML(spec,
		imageNote(),
		"Secret inputs are read from masked CI/CD variables: "+secretVars(def)+".")
	if err != nil {
		return nil, err
	}
	body, err := marshalYAML(yamlMap[gitlabJob]{{"$[[ inputs.job-name ]]", job}})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(head)
	b.WriteString("---\n")
	b.Write(bytes.TrimPrefix(body, []byte(header)))
	return b.Bytes(), nil
}

func secretVars(def step.Definition) string {
	s := ""
	for _, in := range def.Inputs {
		if in.Secret {
			if s != "" {
				s += ", "
			}
			s += step.Env(in.Name)
		}
	}
	if s == "" {
		return "none"
	}
	return s
}
