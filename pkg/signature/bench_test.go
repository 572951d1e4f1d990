package signature_test

import (
	"context"
	"crypto/elliptic"
	"net/http"
	"runtime"
	"syscall"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/signbench"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/signature"
)

// BenchmarkVerify200 verifies a plan of 200 signed images (the plan's
// signature, each image's existence and signature) in the real local
// registry, as verify-artifacts does with its default concurrency. Target:
// under 3 s per op on two cores. maxrss-MiB is the peak RSS of the whole test
// process, registry included; hack/bench/verify-vs-cosign.sh measures the
// verify-artifacts binary alone.
func BenchmarkVerify200(b *testing.B) {
	ctx := context.Background()
	reg := devenv.StartRegistry(b, devenv.RegistryOptions{})
	client := registry.New(registry.Options{})
	priv, pub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc([]byte("bench")))
	if err != nil {
		b.Fatal(err)
	}
	fx, err := signbench.Populate(ctx, client, reg.Host, "bench", 200, priv, []byte("bench"))
	if err != nil {
		b.Fatalf("populating the registry: %v", err)
	}
	opts := signature.TrustOptions{
		Material:    signature.Material{Keys: []signature.Key{{Name: "bench.pub", PEM: pub}}},
		Concurrency: signature.DefaultConcurrency,
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// A fresh client per op, set up as verify-artifacts does: tokens,
		// connections and the referrers capability are learned again.
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = signature.DefaultConcurrency + 4
		opts.Client = registry.New(registry.Options{Transport: transport})
		loaded, err := plan.Read(ctx, fx.Plan, plan.ReadOptions{Client: opts.Client})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := signature.VerifyPlan(ctx, loaded, opts)
		if err != nil || !rep.Verified || len(rep.Services) != 200 {
			b.Fatalf("VerifyPlan = %v (verified %t, %d services), want 200 verified", err, rep.Verified, len(rep.Services))
		}
	}
	b.StopTimer()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
	}
}
