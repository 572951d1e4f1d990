package canary

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

func deployment(version, hash, image string) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{
		Name:        DeploymentName("cart", version),
		Labels:      map[string]string{LabelVersion: VersionValue(version)},
		Annotations: map[string]string{AnnotationVersion: version, AnnotationSpecHash: hash, AnnotationImage: image},
	}}
}

var releaseSide = topology.Side{Role: config.RoleRelease, Location: topology.Location{Namespace: "shop"}}

func state(record Record, ds ...*appsv1.Deployment) *ServiceState {
	st := &ServiceState{Service: "cart", Record: record, Subsets: map[string]map[string]map[string]string{},
		Workloads: map[config.Role]map[string]*appsv1.Deployment{config.RoleRelease: {}}}
	for _, d := range ds {
		st.Workloads[config.RoleRelease][d.Annotations[AnnotationVersion]] = d
	}
	return st
}

func TestClassify(t *testing.T) {
	r := Release{Service: "cart", Version: "1.1.0", SpecHash: "new", Image: "img@new"}
	tests := []struct {
		name string
		st   *ServiceState
		want Status
	}{
		{"nothing deployed", state(Record{}), First},
		{"stable differs", state(Record{Stable: "1.0.0"}, deployment("1.0.0", "old", "img@old")), Changed},
		{"stable has the same content", state(Record{Stable: "1.0.0"}, deployment("1.0.0", "new", "img@new")), Unchanged},
		{"stable without hash, same image", state(Record{Stable: "1.0.0"}, deployment("1.0.0", "", "img@new")), Unchanged},
		{"stable without hash, other image", state(Record{Stable: "1.0.0"}, deployment("1.0.0", "", "img@old")), Changed},
		{"canary of this version", state(Record{Stable: "1.0.0", Canary: "1.1.0"}, deployment("1.0.0", "old", ""), deployment("1.1.0", "new", "")), InCanary},
		{"canary of another version", state(Record{Stable: "1.0.0", Canary: "1.0.5"}, deployment("1.0.0", "old", "")), Changed},
		{"promoted", state(Record{Stable: "1.1.0", Previous: "1.0.0"}), IsStable},
		{"first release stopped before its routes", interrupted(false), First},
		{"first release routed, record not yet written", interrupted(true), First},
		{"stable recorded, its Deployment gone", state(Record{Stable: "1.0.0"}), Changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(r, tt.st, releaseSide); got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
		})
	}
}

// interrupted is a first release of 1.1.0 killed after its Deployment and
// DestinationRule were written (the stable subset names it) but before its
// record, with or without its VirtualService.
func interrupted(routed bool) *ServiceState {
	st := state(Record{}, deployment("1.1.0", "new", "img@new"))
	st.Subsets["shop"] = map[string]map[string]string{topology.StableSubset: {topology.VersionLabel: VersionValue("1.1.0")}}
	st.Routes = []traffic.Route{{Found: routed}}
	return st
}

func TestStableFallsBackToTheSubset(t *testing.T) {
	st := state(Record{}, deployment("1.0.0", "h", ""))
	st.Subsets["/shop"] = map[string]map[string]string{"stable": {"aviary.dev/version": "1.0.0"}}
	if got, want := st.Stable(releaseSide), "1.0.0"; got != want {
		t.Errorf("Stable() with no record = %q, want %q from the subset", got, want)
	}
}

func TestHolder(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if got, want := Holder(env(map[string]string{"GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ATTEMPT": "2"}), "promote"), "github:acme/shop/runs/42"; got != want {
		t.Errorf("Holder(GitHub) = %q, want %q", got, want)
	}
	if got, want := Holder(env(map[string]string{"CI_PIPELINE_ID": "7", "CI_PROJECT_PATH": "acme/shop"}), "promote"), "gitlab:acme/shop/pipelines/7"; got != want {
		t.Errorf("Holder(GitLab) = %q, want %q", got, want)
	}
	if got := Holder(env(map[string]string{"HOSTNAME": "pod-x"}), "promote"); got[:len("promote:pod-x/")] != "promote:pod-x/" {
		t.Errorf("Holder(elsewhere) = %q, want promote:pod-x/<pid>", got)
	}
}

func TestMarkdown(t *testing.T) {
	res := Result{Rows: []Row{
		{Service: "cart", Status: InCanary, Stable: "1.0.0", Canary: "1.1.0", Weight: 25},
		{Service: "web", Status: Unchanged, Stable: "1.0.0"},
	}}
	want := "| service | status | stable | canary | weight | |\n| --- | --- | --- | --- | ---: | --- |\n" +
		"| cart | canary | 1.0.0 | 1.1.0 | 25% | `█████···············` |\n" +
		"| web | unchanged | 1.0.0 | – |  | `` |\n"
	if diff := cmp.Diff(want, res.Markdown()); diff != "" {
		t.Errorf("Markdown mismatch (-want +got):\n%s", diff)
	}
}
