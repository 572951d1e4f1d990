package signature_test

import (
	"context"
	"crypto/elliptic"
	"net/http"
	"os"
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

// TestMain lets the test binary serve the benchmark's registry as a child
// process (devenv.StartRegistryProcess).
func TestMain(m *testing.M) {
	devenv.ServeRegistryChild()
	os.Exit(m.Run())
}

// BenchmarkVerify200 verifies a plan of 200 signed images (the plan's
// signature, each image's existence and signature) in the real local
// registry, as verify-artifacts does with its default concurrency. The
// registry (Distribution) runs in a child process, as a step's registry
// runs elsewhere, so that the allocations, cpu-ms/op (this process's user
// and system CPU per op) and maxrss-MiB (this process's peak RSS, the
// fixture's signing included) are aviary's; the wall time includes the
// registry's work on the same two cores. Target: 0.3 s per op;
// hack/bench/verify-vs-cosign.sh measures the verify-artifacts binary
// beside a cosign loop.
func BenchmarkVerify200(b *testing.B) {
	ctx := context.Background()
	reg := devenv.StartRegistryProcess(b)
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
	cpu0 := devenv.ProcessCPU()
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
	b.ReportMetric(float64((devenv.ProcessCPU()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
	}
}
