package analysis

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func TestWebhookGate(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		wantErr string // empty: the gate passes
	}{
		{"2xx passes", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }, 0, ""},
		{"500 fails", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "load test failed: p95 too high", http.StatusInternalServerError)
		}, 0, `webhook "gate": webhook refused: answered 500: load test failed: p95 too high`},
		{"3xx is not 2xx", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) }, 0, "answered 304"},
		{"timeout fails", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, 100 * time.Millisecond, "no answer within 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var bodies []WebhookRequest
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var b WebhookRequest
				if err := json.NewDecoder(r.Body).Decode(&b); err != nil || r.Method != http.MethodPost {
					t.Errorf("webhook got %s with body error %v", r.Method, err)
				}
				mu.Lock()
				bodies = append(bodies, b)
				mu.Unlock()
				tt.handler(w, r)
			}))
			defer srv.Close()
			spec := Spec{Webhooks: []Webhook{{Name: "gate", URL: srv.URL + "/hook?token=s3cret", Timeout: Duration{Duration: tt.timeout}, Metadata: map[string]string{"team": "shop"}}}}
			a, err := New(spec, []Target{apiTarget}, Options{Phase: PhasePromotion})
			if err != nil {
				t.Fatal(err)
			}
			err = a.Check(t.Context(), 50)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
			} else {
				if !errors.Is(err, ErrWebhookRefused) || outcome.KindOf(err) != outcome.KindNegative || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Check() = %v, want a negative outcome wrapping ErrWebhookRefused, containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("Check() = %v, which leaks the webhook URL", err)
				}
			}
			want := []WebhookRequest{{Name: "gate", Phase: PhasePromotion, Service: "api", Namespace: "shop", Version: "v2", Weight: 50, Metadata: map[string]string{"team": "shop"}}}
			mu.Lock()
			defer mu.Unlock()
			if d := cmp.Diff(want, bodies); d != "" {
				t.Errorf("webhook request bodies (-want +got):\n%s", d)
			}
			b, _ := json.Marshal(a.Report())
			if strings.Contains(string(b), "s3cret") {
				t.Errorf("Report() leaks the webhook URL: %s", b)
			}
		})
	}
}

func TestWebhookPhases(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer srv.Close()
	spec := Spec{Webhooks: []Webhook{{Name: "promotion-only", URL: srv.URL, Phases: []Phase{PhasePromotion}}}}
	a, err := New(spec, []Target{apiTarget}, Options{}) // PhaseStep
	if err != nil {
		t.Fatal(err)
	}
	if a.Enabled() {
		t.Error("Enabled() = true for a step analyzer with only a promotion webhook")
	}
	if err := a.Check(t.Context(), 10); err != nil || calls != 0 {
		t.Errorf("Check() = %v after %d calls, want nil after 0", err, calls)
	}
}

func TestWebhookAfterMetrics(t *testing.T) {
	prom := newFakeProm(t)
	prom.set("v2", 600, 90, 10)
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer srv.Close()
	a := newTestAnalyzer(t, prom, Spec{Webhooks: []Webhook{{URL: srv.URL}}}, Options{})
	if err := a.Check(t.Context(), 10); !errors.Is(err, ErrAnalysisFailed) {
		t.Fatalf("Check() = %v, want ErrAnalysisFailed", err)
	}
	if calls != 0 {
		t.Errorf("webhook calls after failed metrics = %d, want 0", calls)
	}
	prom.set("v2", 600, 100, 10)
	if err := a.Check(t.Context(), 10); err != nil {
		t.Fatalf("Check() = %v, want nil", err)
	}
	if calls != 1 {
		t.Errorf("webhook calls after passing metrics = %d, want 1", calls)
	}
}

func TestWebhookUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/?token=s3cret"
	srv.Close()
	a, err := New(Spec{Webhooks: []Webhook{{Name: "gone", URL: url}}}, []Target{apiTarget}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Check(t.Context(), 10)
	if !errors.Is(err, ErrWebhookRefused) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Check() = %v, want ErrWebhookRefused without the URL", err)
	}
}
