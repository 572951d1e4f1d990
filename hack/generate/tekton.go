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
	Name            string          `yaml:"name"`
	Image           string          `yaml:"image"`
	Command         []string        `yaml:"command,flow"`
	Args            []string        `yaml:"args"`
	Env             []envVar        `yaml:"env,omitempty"`
	WorkingDir      string          `yaml:"workingDir,omitempty"`
	SecurityContext securityContext `yaml:"securityContext"`
}

// tektonWorkspace is a Task's workspace.
type tektonWorkspace struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Optional    bool   `yaml:"optional"`
}

// securityContext is what the nonroot image runs as; a workspace the step
// writes to must be writable by that user (the PipelineRun's podTemplate
// securityContext.fsGroup: 65532 does it for volumes that support it).
type securityContext struct {
	RunAsNonRoot bool `yaml:"runAsNonRoot"`
	RunAsUser    int  `yaml:"runAsUser"`
	RunAsGroup   int  `yaml:"runAsGroup"`
}

var nonroot = securityContext{RunAsNonRoot: true, RunAsUser: 65532, RunAsGroup: 65532}

type metadata struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type taskSpec struct {
	Description string            `yaml:"description"`
	Params      []tektonParam     `yaml:"params"`
	Results     []tektonResult    `yaml:"results,omitempty"`
	Workspaces  []tektonWorkspace `yaml:"workspaces,omitempty"`
	Steps       []tektonStep      `yaml:"steps"`
}

type task struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	Spec       taskSpec `yaml:"spec"`
}

type stepActionSpec struct {
	Description     string          `yaml:"description"`
	Params          []tektonParam   `yaml:"params"`
	Results         []tektonResult  `yaml:"results,omitempty"`
	Image           string          `yaml:"image"`
	Command         []string        `yaml:"command,flow"`
	Args            []string        `yaml:"args"`
	Env             []envVar        `yaml:"env,omitempty"`
	SecurityContext securityContext `yaml:"securityContext"`
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
	var workspaces []tektonWorkspace
	workingDir := ""
	if hasInput(def, "repo-path") {
		// The step works in the source workspace when one is bound, so that
		// repo-path's default "." is the repository.
		workspaces = []tektonWorkspace{{Name: "source", Optional: true,
			Description: "The git repository; the step runs in it, so repo-path defaults to it."}}
		workingDir = "$(workspaces.source.path)"
	}
	t := task{
		APIVersion: "tekton.dev/v1",
		Kind:       "Task",
		Metadata:   metadata{Name: "aviary-" + def.Name, Labels: tektonLabels()},
		Spec: taskSpec{
			Description: def.Description,
			Params:      params,
			Results:     results,
			Workspaces:  workspaces,
			Steps: []tektonStep{{
				Name:            def.Name,
				Image:           Image(def.Name),
				Command:         []string{"/" + def.Name},
				Args:            args,
				Env:             env,
				WorkingDir:      workingDir,
				SecurityContext: nonroot,
			}},
		},
	}
	return marshalYAML(t,
		imageNote())
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
			Description:     def.Description,
			Params:          params,
			Results:         results,
			Image:           Image(def.Name),
			Command:         []string{"/" + def.Name},
			Args:            args,
			Env:             env,
			SecurityContext: nonroot,
		},
	}
	return marshalYAML(a,
		imageNote())
}

func hasInput(def step.Definition, name string) bool {
	for _, in := range def.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}
