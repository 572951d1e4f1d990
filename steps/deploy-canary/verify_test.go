package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/signature"
	"github.com/aviary-cd/aviary/pkg/step"
)

// TestInlineVerification: given a key, deploy-canary refuses a plan that is
// not signed by it (exit 1, nothing applied) and deploys it once the plan and
// its images are signed.
func TestInlineVerification(t *testing.T) {
	f := canarytest.Start(t, "shop")
	rel := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)

	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	pubFile := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	kc := f.KubeconfigFor(t, "deploy-canary")

	r := canarytest.RunStep(t, catalog.DeployCanary, run, nil, "--plan="+rel.Ref, "--kubeconfig="+kc, "--holder=test", "--key="+pubFile)
	if r.Code != step.ExitNegative || !strings.Contains(r.Stderr, "verifying plan") {
		t.Fatalf("deploy-canary of an unsigned plan with --key = exit %d, want %d naming the verification\n%s", r.Code, step.ExitNegative, r.Stderr)
	}
	deps, err := f.Cluster.Client().AppsV1().Deployments("shop").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps.Items) != 0 {
		t.Fatalf("a refused plan left %d Deployments in the namespace", len(deps.Items))
	}

	client := registry.New(registry.Options{})
	refs := []string{rel.Ref}
	for _, s := range rel.Loaded.Plan.Services {
		refs = append(refs, s.Image)
	}
	for _, ref := range refs {
		if _, err := signature.SignArtifact(context.Background(), client, ref, privPEM, nil, signature.SignOptions{}); err != nil {
			t.Fatalf("signing %s: %v", ref, err)
		}
	}
	r = canarytest.RunStep(t, catalog.DeployCanary, run, nil, "--plan="+rel.Ref, "--kubeconfig="+kc, "--holder=test", "--key="+pubFile)
	if r.Code != 0 || r.Outputs["first-release"] != "cart" {
		t.Fatalf("deploy-canary of a signed plan = exit %d, outputs %v; want 0, first-release cart\n%s", r.Code, r.Outputs, r.Stderr)
	}
}
