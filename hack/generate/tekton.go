package main

import (
	"github.com/aviary-cd/aviary/pkg/step"
)

// SecretParam names the Kubernetes Secret a Tekton Task or StepAction reads
// the step's secret inputs from: one key per secret input, named like it
// (registry-password, sign-key). Secrets never travel as params, which
// TaskRuns record in plain text.
const SecretParam = "secret-name"

// tektonResultsPath is where Tekton mounts a Task's results.
const tektonResultsPath = "/tekton/results"

type tektonParam struct {
	Name        string  `yaml:"name"`
	Type        string  `yaml:"type"`
	Description string  `yaml:"description"`
	Default     *string `yaml:"default,omitempty"`
}

type tektonResult struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
}

type secretKeyRef struct {
	Name     string `yaml:"name"`
	Key      string `yaml:"key"`
	Optional bool   `yaml:"optional"`
}

type envVar struct {
	Name      string `yaml:"name"`
	ValueFrom struct {
		SecretKeyRef secretKeyRef `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type tektonStep struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command,flow"`
	Args    []string `yaml:"args"`
	Env     []envVar `yaml:"env,omitempty"`
}

type metadata struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type taskSpec struct {
	Description string         `yaml:"description"`
	Params      []tektonParam  `yaml:"params"`
	Results     []tektonResult `yaml:"results,omitempty"`
	Steps       []tektonStep   `yaml:"steps"`
}

type task struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	Spec       taskSpec `yaml:"spec"`
}

type stepActionSpec struct {
	Description string         `yaml:"description"`
	Params      []tektonParam  `yaml:"params"`
	Results     []tektonResult `yaml:"results,omitempty"`
	Image       string         `yaml:"image"`
	Command     []string       `yaml:"command,flow"`
	Args        []string       `yaml:"args"`
	Env         []envVar       `yaml:"env,omitempty"`
}

type stepAction struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   metadata       `yaml:"metadata"`
	Spec       stepActionSpec `yaml:"spec"`
}

// tektonParts returns the params, results, args and secret env of a step;
// resultsDir is the --results-dir argument.
func tektonParts(def step.Definition, resultsDir string) ([]tektonParam, []tektonResult, []string, []envVar) {
	var (
		params  []tektonParam
		args    []string
		env     []envVar
		secrets bool
	)
	for _, in := range adapterInputs(def) {
		if in.Secret {
			var e envVar
			e.Name = step.Env(in.Name)
			e.ValueFrom.SecretKeyRef = secretKeyRef{Name: "$(params." + SecretParam + ")", Key: in.Name, Optional: true}
			env = append(env, e)
			secrets = true
			continue
		}
		p := tektonParam{Name: in.Name, Type: "string", Description: in.Description}
		if !in.Required {
			d := in.Default
			p.Default = &d
		}
		params = append(params, p)
		args = append(args, "--"+in.Name+"=$(params."+in.Name+")")
	}
	if secrets {
		d := "aviary"
		params = append(params, tektonParam{
			Name: SecretParam, Type: "string", Default: &d,
			Description: "Secret holding the secret inputs, one key per input name; a missing Secret or key leaves the input unset.",
		})
	}
	var results []tektonResult
	for _, out := range def.Outputs {
		results = append(results, tektonResult{Name: out.Name, Type: "string", Description: out.Description})
	}
	args = append(args, "--ci=tekton", "--results-dir="+resultsDir)
	return params, results, args, env
}

func tektonLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/part-of": "aviary"}
}

// tektonTask renders a Task with one step running the step binary. Tekton
// overrides image entrypoints, so the command is always given.
func tektonTask(def step.Definition) ([]byte, error) {
	params, results, args, env := tektonParts(def, tektonResultsPath)
	t := task{
		APIVersion: "tekton.dev/v1",
		Kind:       "Task",
		Metadata:   metadata{Name: "aviary-" + def.Name, Labels: tektonLabels()},
		Spec: taskSpec{
			Description: def.Description,
			Params:      params,
			Results:     results,
			Steps: []tektonStep{{
				Name:    def.Name,
				Image:   Image(def.Name),
				Command: []string{"/" + def.Name},
				Args:    args,
				Env:     env,
			}},
		},
	}
	return marshalYAML(t,
		"The image tag is a placeholder: releases pin it to the signed image's digest.")
}

// tektonStepAction renders a StepAction. Its results live in a directory
// named after the step that uses it, so the step is given one result's path
// followed by /.., which the step runtime resolves lexically.
func tektonStepAction(def step.Definition) ([]byte, error) {
	dir := tektonResultsPath
	if len(def.Outputs) > 0 {
		dir = "$(step.results." + def.Outputs[0].Name + ".path)/.."
	}
	params, results, args, env := tektonParts(def, dir)
	a := stepAction{
		APIVersion: "tekton.dev/v1beta1",
		Kind:       "StepAction",
		Metadata:   metadata{Name: "aviary-" + def.Name, Labels: tektonLabels()},
		Spec: stepActionSpec{
			Description: def.Description,
			Params:      params,
			Results:     results,
			Image:       Image(def.Name),
			Command:     []string{"/" + def.Name},
			Args:        args,
			Env:         env,
		},
	}
	return marshalYAML(a,
		"The image tag is a placeholder: releases pin it to the signed image's digest.")
}
