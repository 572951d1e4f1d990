package plan

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/aviary-cd/aviary/pkg/config"
)

// memRegistry starts go-containerregistry's in-memory registry on loopback
// and returns its host:port.
func memRegistry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

const testDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000001"

// samplePlan returns a plan of two services and their manifest files.
func samplePlan() (*Plan, map[string][]byte) {
	p := &Plan{
		Version: "1.4.0",
		Source: Source{
			Repository: "https://git.example/shop",
			Commit:     "3f1c2d4e5f60718293a4b5c6d7e8f90112233445",
			Time:       time.Date(2026, 5, 4, 10, 30, 0, 0, time.FixedZone("CEST", 2*3600)),
		},
		Config: config.Config{
			Product: "shop",
			Services: []config.Service{
				{Name: "api", Image: "registry.example/shop/api", Manifests: "deploy/api", Port: 8080},
				{Name: "web", Image: "registry.example/shop/web", Manifests: "deploy/web"},
			},
			Topology: config.Topology{Kind: config.SingleCluster, Targets: []config.Target{{Role: config.RoleRelease, Namespace: "shop"}}},
		}.Close(),
		Services: []Service{
			{Name: "api", Image: "registry.example/shop/api@" + testDigest, Tag: "1.4.0", Port: 8080},
			{Name: "web", Image: "registry.example/shop/web@" + testDigest, Tag: "1.4.0"},
		},
	}
	files := map[string][]byte{
		"api/deployment.yaml": []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n"),
		"api/extra/hpa.yaml":  []byte("# autoscaling\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: api\n"),
		"web/deployment.yaml": []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"),
	}
	return p, files
}

func mustUnmarshal(t testing.TB, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func mustGunzip(t testing.TB, data []byte) io.Reader {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}
