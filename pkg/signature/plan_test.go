package signature

import (
	"context"

	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	orasregistry "oras.land/oras-go/v2/registry"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/policy"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// service is an image a test plan names.
type service struct{ name, image string }

// publishPlan pushes a release plan naming services to repo and returns it
// as read back.
func (e *env) publishPlan(t testing.TB, repo, version string, services []service) *plan.Loaded {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{Product: "shop", Topology: config.Topology{Kind: config.SingleCluster,
		Targets: []config.Target{{Role: config.RoleRelease, Namespace: "shop"}}}}
	p := &plan.Plan{Version: version, Source: plan.Source{Commit: strings.Repeat("ab", 20), Time: time.Unix(1_700_000_000, 0)}}
	files := map[string][]byte{}
	for _, s := range services {
		cfg.Services = append(cfg.Services, config.Service{Name: s.name, Image: strings.Split(s.image, "@")[0], Manifests: "deploy/" + s.name})
		p.Services = append(p.Services, plan.Service{Name: s.name, Image: s.image, Tag: version})
		files[s.name+"/deployment.yaml"] = []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + s.name + "\n")
	}
	p.Config = cfg.Close()
	a, err := plan.Pack(ctx, p, files)
	if err != nil {
		t.Fatalf("plan.Pack: %v", err)
	}
	if _, err := plan.Publish(ctx, a, e.target(t, repo), version); err != nil {
		t.Fatalf("plan.Publish: %v", err)
	}
	loaded, err := plan.Read(ctx, e.host+"/"+repo+"@"+a.Descriptor.Digest.String(), plan.ReadOptions{Client: e.client})
	if err != nil {
		t.Fatalf("plan.Read: %v", err)
	}
	return loaded
}

func TestVerifyPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real local registry")
	}
	ctx := context.Background()
	e := newEnv(t)
	priv, pub := keyPair(t, pw)
	key := mustLoadKey(t, priv, pw)
	trust := Material{Keys: []Key{{Name: "release.pub", PEM: pub}}}
	signed := func(repo, seed string) string {
		ref, _ := e.pushImage(t, repo, "1.0", seed)
		if _, err := SignArtifact(ctx, e.client, ref, priv, []byte(pw), SignOptions{}); err != nil {
			t.Fatal(err)
		}
		return ref
	}

	t.Run("everything verifies", func(t *testing.T) {
		api, web := signed("shop/api", "api"), signed("shop/web", "web")
		attest(t, e.target(t, "shop/api"), mustDigest(t, api), key, slsa)
		attest(t, e.target(t, "shop/web"), mustDigest(t, web), key, slsa)
		loaded := e.publishPlan(t, "plans/shop", "1.0.0", []service{{"api", api}, {"web", web}, {"api-copy", api}})
		if _, err := SignArtifact(ctx, e.client, loaded.Ref, priv, []byte(pw), SignOptions{Bundle: true}); err != nil {
			t.Fatal(err)
		}
		pol := &policy.Policy{APIVersion: policy.APIVersion, Kind: policy.Kind, Images: policy.ImageRules{
			AllowedRegistries: []string{e.host + "/shop"}, RequiredAttestations: []string{slsa},
		}}
		now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		rep, err := VerifyPlan(ctx, loaded, TrustOptions{Material: trust, Policy: pol, Client: e.client, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatalf("VerifyPlan = %v, want nil", err)
		}
		if !rep.Verified || rep.PlanCheck.Verdict != VerdictPass || rep.PlanCheck.Signer == nil || rep.Version != "1.0.0" || !rep.VerifiedAt.Equal(now) {
			t.Errorf("report = %+v, want a verified plan signed by release.pub", rep)
		}
		if len(rep.Services) != 3 {
			t.Fatalf("report has %d services, want 3", len(rep.Services))
		}
		for _, c := range rep.Services {
			if c.Verdict != VerdictPass || c.Signer == nil || c.Signer.Key != "release.pub" || len(c.Attestations) != 1 || c.Digest == "" {
				t.Errorf("service %s: %+v, want a pass signed by release.pub with one attestation", c.Service, c)
			}
		}
		if len(rep.Trust.Keys) != 1 || rep.Trust.Keys[0].Name != "release.pub" || !strings.HasPrefix(rep.Trust.Keys[0].Fingerprint, "sha256:") {
			t.Errorf("report trust = %+v, want release.pub with its fingerprint", rep.Trust)
		}

		t.Run("report attached as a referrer", func(t *testing.T) {
			d, err := AttachReport(ctx, e.client, rep)
			if err != nil {
				t.Fatalf("AttachReport: %v", err)
			}
			ref, _ := registry.ParseReference(loaded.Ref)
			src, err := newSources(e.client).get(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			subject, _ := src.Resolve(ctx, loaded.Digest.String())
			refs, err := orasregistry.Referrers(ctx, src, subject, ReportArtifactType)
			if err != nil || len(refs) != 1 || refs[0].Digest != d {
				t.Fatalf("referrers of the plan with artifactType %s = %v, %v; want the report %s", ReportArtifactType, refs, err, d)
			}
			data, err := content.FetchAll(ctx, src, refs[0])
			if err != nil {
				t.Fatal(err)
			}
			var m ocispec.Manifest
			mustJSON(t, data, &m)
			blob, err := content.FetchAll(ctx, src, m.Layers[0])
			if err != nil {
				t.Fatal(err)
			}
			var back Report
			mustJSON(t, blob, &back)
			if back.Plan != loaded.Ref || !back.Verified || len(back.Services) != 3 {
				t.Errorf("attached report = %+v, want this plan's verified report", back)
			}
		})
	})

	t.Run("every failure is listed", func(t *testing.T) {
		good := signed("shop/good", "good")
		unsigned, _ := e.pushImage(t, "shop/unsigned", "1.0", "unsigned")
		elsewhere, _ := e.pushImage(t, "elsewhere/api", "1.0", "elsewhere")
		noAtt := signed("shop/noatt", "noatt")
		excused, _ := e.pushImage(t, "shop/legacy", "1.0", "legacy")
		attest(t, e.target(t, "shop/good"), mustDigest(t, good), key, slsa)
		loaded := e.publishPlan(t, "plans/shop", "1.1.0", []service{
			{"good", good}, {"unsigned", unsigned}, {"elsewhere", elsewhere}, {"noatt", noAtt}, {"legacy", excused},
		})
		// Signed: an unsigned plan's images are not contacted at all
		// (TestUnsignedPlanContactsNoImageHost).
		if _, err := SignArtifact(ctx, e.client, loaded.Ref, priv, []byte(pw), SignOptions{}); err != nil {
			t.Fatal(err)
		}
		pol := &policy.Policy{APIVersion: policy.APIVersion, Kind: policy.Kind,
			Images: policy.ImageRules{AllowedRegistries: []string{e.host + "/shop"}, RequiredAttestations: []string{slsa}},
			Exceptions: []policy.Exception{
				{Service: "legacy", AllowUnsigned: true, SkipAttestations: []string{"*"}, Reason: "vendor image"},
				{Service: "gone", AllowUnsigned: true, Reason: "typo"},
			},
		}
		rep, err := VerifyPlan(ctx, loaded, TrustOptions{Material: trust, Policy: pol, Client: e.client, Concurrency: 2})
		if outcome.KindOf(err) != outcome.KindNegative {
			t.Fatalf("VerifyPlan error = %v (kind %v), want a negative outcome", err, outcome.KindOf(err))
		}
		var pe *PlanError
		if !errors.As(err, &pe) {
			t.Fatalf("VerifyPlan error is not a *PlanError: %v", err)
		}
		type want struct {
			service string
			reason  Reason
		}
		var got []want
		for _, f := range pe.Failures {
			got = append(got, want{f.Service, f.Reason})
		}
		wantList := []want{{"unsigned", Unsigned}, {"unsigned", MissingAttestation}, {"elsewhere", RegistryNotAllowed}, {"noatt", MissingAttestation}}
		if fmt.Sprint(got) != fmt.Sprint(wantList) {
			t.Errorf("failures = %v, want %v\n%v", got, wantList, err)
		}
		for _, s := range []string{"service unsigned", "service elsewhere", "service noatt", "4 problems"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error message lacks %q:\n%v", s, err)
			}
		}
		if rep.Verified {
			t.Error("report.Verified = true, want false")
		}
		for _, c := range rep.Services {
			if c.Service == "legacy" && (c.Verdict != VerdictPass || c.Exception != "vendor image") {
				t.Errorf("legacy: %+v, want a pass by exception", c)
			}
		}
		if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `"gone"`) {
			t.Errorf("warnings = %q, want one about the exception for gone", rep.Warnings)
		}
		data, err := rep.JSON()
		if err != nil || !strings.Contains(string(data), `"reason": "registry-not-allowed"`) {
			t.Errorf("report JSON lacks the reason names: %v\n%s", err, data)
		}
	})

	t.Run("plan referencing an image by tag", func(t *testing.T) {
		good := signed("shop/tagged", "tagged")
		loaded := e.publishPlan(t, "plans/tagged", "2.0.0", []service{{"api", good}})
		if _, err := SignArtifact(ctx, e.client, loaded.Ref, priv, []byte(pw), SignOptions{}); err != nil {
			t.Fatal(err)
		}
		loaded.Plan.Services[0].Image = e.host + "/shop/tagged:1.0"
		_, err := VerifyPlan(ctx, loaded, TrustOptions{Material: trust, Client: e.client})
		if ReasonOf(err) != ReasonUnknown || outcome.KindOf(err) != outcome.KindNegative {
			t.Fatalf("VerifyPlan = %v, want a negative PlanError", err)
		}
		var pe *PlanError
		if !errors.As(err, &pe) || len(pe.Failures) != 1 || pe.Failures[0].Reason != TagNotDigest {
			t.Errorf("failures = %v, want one tag-not-digest", err)
		}
	})

	t.Run("registry down is external", func(t *testing.T) {
		good := signed("shop/down", "down")
		loaded := e.publishPlan(t, "plans/down", "3.0.0", []service{{"api", good}})
		if _, err := SignArtifact(ctx, e.client, loaded.Ref, priv, []byte(pw), SignOptions{}); err != nil {
			t.Fatal(err)
		}
		loaded.Plan.Services[0].Image = "127.0.0.1:1/shop/api@" + mustDigest(t, good).String()
		rep, err := VerifyPlan(ctx, loaded, TrustOptions{Material: trust, Registry: registry.Options{Attempts: 1}})
		if outcome.KindOf(err) != outcome.KindExternal {
			t.Fatalf("VerifyPlan = %v (kind %v), want external", err, outcome.KindOf(err))
		}
		if rep.Verified || len(rep.Failures()) != 1 || !rep.Failures()[0].Transport {
			t.Errorf("report failures = %+v, want one transport failure", rep.Failures())
		}
	})

	t.Run("no trust material", func(t *testing.T) {
		good := signed("shop/notrust", "notrust")
		loaded := e.publishPlan(t, "plans/notrust", "4.0.0", []service{{"api", good}})
		_, err := VerifyPlan(ctx, loaded, TrustOptions{Client: e.client})
		if outcome.KindOf(err) != outcome.KindInvalid {
			t.Errorf("VerifyPlan without keys = %v, want invalid", err)
		}
		off := false
		pol := &policy.Policy{Plan: policy.PlanRules{RequireSignature: &off}, Images: policy.ImageRules{RequireSignature: &off}}
		if _, err := VerifyPlan(ctx, loaded, TrustOptions{Client: e.client, Policy: pol}); err != nil {
			t.Errorf("VerifyPlan requiring nothing = %v, want nil", err)
		}
	})
}

func mustDigest(t testing.TB, ref string) digest.Digest {
	t.Helper()
	r, err := registry.ParseReference(ref)
	if err != nil || r.Digest == "" {
		t.Fatalf("%s is not by digest", ref)
	}
	return r.Digest
}
