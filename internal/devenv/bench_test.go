package devenv_test

import (
	"context"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
)

// BenchmarkUp measures what the lead's targets are about, with binaries
// already cached: seconds until 3 clusters, a registry and Prometheus are
// ready (target <= 20 s), and resident memory per cluster (target <= 600 MiB).
//
//	go test -run '^$' -bench Up -benchtime 1x ./internal/devenv
func BenchmarkUp(b *testing.B) {
	if testing.Short() {
		b.Skip("starts real clusters")
	}
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		env, err := devenv.Up(ctx, devenv.Options{Clusters: 3, Registry: true, Prometheus: true})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(env.Ready.Seconds(), "s-ready")
		time.Sleep(10 * time.Second) // let the control planes settle before measuring memory
		var total int64
		for _, c := range env.Clusters {
			rss, err := c.RSS()
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: RSS %d MiB", c.Name, rss>>20)
			total += rss
		}
		b.ReportMetric(float64(total>>20)/float64(len(env.Clusters)), "MiB/cluster")
		if err := env.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
