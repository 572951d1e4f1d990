package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"
)

// validatable is a Tekton object that defaults and validates itself.
type validatable interface {
	SetDefaults(context.Context)
	Validate(context.Context) *apis.FieldError
}

func validateFile(t *testing.T, path string, obj validatable, kind string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Strict: a misspelt field is an error, not silently dropped.
	if err := yaml.UnmarshalStrict(b, obj); err != nil {
		t.Errorf("%s: decoding: %v", path, err)
		return
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	yaml.Unmarshal(b, &head)
	if head.Kind != kind {
		t.Errorf("%s: kind = %q, want %q", path, head.Kind, kind)
	}
	ctx := context.Background()
	obj.SetDefaults(ctx)
	if ferr := obj.Validate(ctx); ferr != nil {
		t.Errorf("%s: Tekton validation: %v", path, ferr)
	}
}

func tektonFiles(t *testing.T, name string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "tekton", "*", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no tekton/*/%s: run `make generate`", name)
	}
	return paths
}

func TestTasksValidate(t *testing.T) {
	for _, p := range tektonFiles(t, "task.yaml") {
		validateFile(t, p, &v1.Task{}, "Task")
	}
}

func TestStepActionsValidate(t *testing.T) {
	for _, p := range tektonFiles(t, "stepaction.yaml") {
		validateFile(t, p, &v1beta1.StepAction{}, "StepAction")
	}
}

// TestTektonValidationIsNotVacuous breaks a generated Task and StepAction
// and expects Tekton to refuse them.
func TestTektonValidationIsNotVacuous(t *testing.T) {
	var task v1.Task
	b, _ := os.ReadFile(tektonFiles(t, "task.yaml")[0])
	if err := yaml.UnmarshalStrict(b, &task); err != nil {
		t.Fatal(err)
	}
	task.Spec.Steps[0].Args = append(task.Spec.Steps[0].Args, "--x=$(params.undeclared)")
	task.SetDefaults(context.Background())
	if err := task.Validate(context.Background()); err == nil || !strings.Contains(err.Error(), "undeclared") {
		t.Errorf("Validate(Task using an undeclared param) = %v, want an error naming it", err)
	}
	var sa v1beta1.StepAction
	b, _ = os.ReadFile(tektonFiles(t, "stepaction.yaml")[0])
	if err := yaml.UnmarshalStrict(b, &sa); err != nil {
		t.Fatal(err)
	}
	sa.Spec.Image = ""
	if err := sa.Validate(context.Background()); err == nil {
		t.Error("Validate(StepAction without image) = nil, want an error")
	}
}
