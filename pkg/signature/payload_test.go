package signature

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aviary-cd/aviary/pkg/registry"
)

// requestLog records the requests a client sends.
type requestLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.reqs = append(l.reqs, r.Method+" "+r.URL.Path)
	l.mu.Unlock()
	return l.base.RoundTrip(r)
}

// blobGets counts the blob downloads logged.
func (l *requestLog) blobGets() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		if strings.HasPrefix(r, "GET ") && strings.Contains(r, "/blobs/") {
			n++
		}
	}
	return n
}

// TestVerifyKnownPayload checks that a cosign v2 signature whose payload is
// the one cosign writes for the image is verified without downloading it
// (the layer's digest names those bytes), and that any other payload is
// downloaded and checked as before: annotations in it are accepted, a claim
// about another digest is refused.
func TestVerifyKnownPayload(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real local registry")
	}
	e := newEnv(t)
	priv, pub := keyPair(t, pw)
	key := mustLoadKey(t, priv, pw)
	trust := mustTrust(t, Material{Keys: []Key{{Name: "trusted.pub", PEM: pub}}})
	tg := e.target(t, "team/payload")
	repo := e.host + "/team/payload"

	// signWith writes a signature tag for the image holding payload.
	signWith := func(t *testing.T, ref string, payload []byte) {
		t.Helper()
		sig, err := key.sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		writeSigLayer(t, tg, mustDigest(t, ref), "sig", SimpleSigningMediaType, payload,
			map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)})
	}
	plain, _ := e.pushImage(t, "team/payload", "plain", "plain")
	annotated, _ := e.pushImage(t, "team/payload", "annotated", "annotated")
	other, otherDesc := e.pushImage(t, "team/payload", "other", "other")
	forOther, err := simpleSigningPayload(repo, otherDesc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	signWith(t, other, forOther)
	copied, _ := e.pushImage(t, "team/payload", "copied", "copied")
	signWith(t, copied, forOther)
	if _, err := SignArtifact(context.Background(), e.client, plain, priv, []byte(pw), SignOptions{}); err != nil {
		t.Fatal(err)
	}
	annotatedDigest := mustDigest(t, annotated)
	signWith(t, annotated, []byte(`{"critical":{"identity":{"docker-reference":"`+repo+`"},"image":{"docker-manifest-digest":"`+
		annotatedDigest.String()+`"},"type":"cosign container image signature"},"optional":{"team":"shop"}}`))

	tests := []struct {
		name     string
		ref      string
		want     Reason // ReasonUnknown: a pass
		blobGets int
	}{
		{name: "payload as cosign writes it", ref: plain, blobGets: 0},
		{name: "payload with optional annotations", ref: annotated, blobGets: 1},
		{name: "payload about another image", ref: copied, want: WrongDigestClaim, blobGets: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &requestLog{base: http.DefaultTransport}
			v := NewVerifier(trust, registry.New(registry.Options{Transport: log}))
			res, err := v.Verify(context.Background(), Request{Ref: tt.ref, Signature: true})
			if err != nil {
				t.Fatalf("Verify(%s) error = %v", tt.ref, err)
			}
			switch {
			case tt.want == ReasonUnknown && !res.OK():
				t.Errorf("Verify(%s) failures = %v, want a pass", tt.ref, res.Failures)
			case tt.want != ReasonUnknown && (len(res.Failures) != 1 || res.Failures[0].Reason != tt.want):
				t.Errorf("Verify(%s) failures = %v, want one of reason %s", tt.ref, res.Failures, tt.want)
			}
			if got := log.blobGets(); got != tt.blobGets {
				t.Errorf("Verify(%s) downloaded %d blobs, want %d; requests: %v", tt.ref, got, tt.blobGets, log.reqs)
			}
		})
	}
}
