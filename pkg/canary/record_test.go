package canary

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func writes(actions []k8stesting.Action) int {
	n := 0
	for _, a := range actions {
		if v := a.GetVerb(); v == "create" || v == "update" {
			n++
		}
	}
	return n
}

// TestConfigMapRecords: a record is created, read back, changed, and
// saving it unchanged writes nothing, even from a fresh store that has
// listed it.
func TestConfigMapRecords(t *testing.T) {
	ctx := context.Background()
	client := fake.NewSimpleClientset()
	s := &ConfigMapRecords{Client: client, Namespace: "shop"}
	canaryRec := Record{Phase: PhaseCanary, Stable: "1.0.0", Canary: "1.1.0", Plan: "r@sha256:1"}
	if err := s.Save(ctx, "cart", canaryRec); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "cart", canaryRec); err != nil {
		t.Fatal(err)
	}
	if got := writes(client.Actions()); got != 1 {
		t.Errorf("writes after saving one record twice = %d, want 1", got)
	}
	fresh := &ConfigMapRecords{Client: client, Namespace: "shop"}
	got, err := fresh.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]Record{"cart": canaryRec}, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	client.ClearActions()
	if err := fresh.Save(ctx, "cart", canaryRec); err != nil {
		t.Fatal(err)
	}
	if n := len(client.Actions()); n != 0 {
		t.Errorf("saving a listed record unchanged made %d requests, want 0", n)
	}
	promoted := Record{Phase: PhasePromoted, Stable: "1.1.0", Previous: "1.0.0", Plan: "r@sha256:1"}
	if err := fresh.Save(ctx, "cart", promoted); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(ctx); got["cart"] != promoted {
		t.Errorf("after saving the promotion, Load = %+v, want %+v", got["cart"], promoted)
	}
}
