package signature

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestUnsignedPlanContactsNoImageHost: a plan whose own signature fails is
// not trusted to say which hosts to contact, so VerifyPlan reaches none of
// the image registries it names.
func TestUnsignedPlanContactsNoImageHost(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real local registry")
	}
	ctx := context.Background()
	e := newEnv(t)
	_, pub := keyPair(t, pw)
	var contacted atomic.Int32
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contacted.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(hostile.Close)
	host := strings.TrimPrefix(hostile.URL, "http://")
	image := host + "/exfil/api@sha256:" + strings.Repeat("c", 64)
	loaded := e.publishPlan(t, "plans/unsigned", "1.0.0", []service{{"api", image}})

	rep, err := VerifyPlan(ctx, loaded, TrustOptions{Material: Material{Keys: []Key{{Name: "release.pub", PEM: pub}}}, Client: e.client})
	if outcome.KindOf(err) != outcome.KindNegative {
		t.Fatalf("VerifyPlan(unsigned plan) error = %v (kind %v), want negative", err, outcome.KindOf(err))
	}
	if n := contacted.Load(); n != 0 {
		t.Errorf("the image host %s was sent %d requests, want none", host, n)
	}
	if rep.PlanCheck.Verdict != VerdictFail || len(rep.Services) != 1 || rep.Services[0].Verdict != VerdictNotChecked {
		t.Errorf("report plan verdict %q, services %+v; want fail and one not-checked service", rep.PlanCheck.Verdict, rep.Services)
	}
}
