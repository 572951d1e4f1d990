package main

import (
	"context"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"oras.land/oras-go/v2"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/scripttest"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/signature"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"verify-artifacts": main})
}

// TestScripts runs the real step against a real Distribution registry from
// internal/devenv. See testdata/README.md.
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real registry; skipped with -short")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup:               setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"release":  cmdRelease,
			"hostile":  cmdHostile,
			"output":   scripttest.Output,
			"envsubst": scripttest.Envsubst,
			"nosecret": scripttest.NoSecret,
		},
	})
}

const keyPassword = "script"

// world is what a script's release command writes with.
type world struct {
	reg           string
	client        *registry.Client
	key, otherKey *signature.PrivateKey
	n             int
}

func setupScript(env *testscript.Env) error {
	ctx := context.Background()
	reg, err := devenv.NewRegistry(ctx, devenv.RegistryOptions{})
	if err != nil {
		return err
	}
	env.Defer(func() { _ = reg.Close() })
	w := &world{reg: reg.Host, client: registry.New(registry.Options{})}
	for _, k := range []struct {
		name string
		dst  **signature.PrivateKey
	}{{"release", &w.key}, {"stranger", &w.otherKey}} {
		priv, pub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc([]byte(keyPassword)))
		if err != nil {
			return err
		}
		if *k.dst, err = signature.LoadPrivateKey(priv, []byte(keyPassword)); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(env.WorkDir, k.name+".pub"), pub, 0o644); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there
	env.Values["world"] = w
	for k, v := range map[string]string{
		"REG": reg.Host, "DEAD": dead, "AVIARY_CI": "local",
		"HOME": filepath.Join(env.WorkDir, ".home"), "DOCKER_CONFIG": filepath.Join(env.WorkDir, ".home", "docker"),
	} {
		env.Setenv(k, v)
	}
	return nil
}

// release NAME PLAN SERVICE=STATE... pushes one image per service in the
// state given, publishes a plan naming them to $REG/plans/NAME, signs it
// when PLAN is "signed", and sets $PLAN to it by digest.
//
// States: signed (by release.pub), unsigned, stranger (signed by another
// key), elsewhere (signed, in repository other/ rather than shop/),
// attested (signed, with a SLSA provenance attestation).
func cmdRelease(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: release NAME signed|unsigned SERVICE=STATE...")
	}
	w := ts.Value("world").(*world)
	ctx := context.Background()
	cfg := config.Config{Product: "shop", Topology: config.Topology{Kind: config.SingleCluster,
		Targets: []config.Target{{Role: config.RoleRelease, Namespace: "shop"}}}}
	p := &plan.Plan{Version: "1.0.0", Source: plan.Source{Commit: strings.Repeat("ab", 20), Time: time.Unix(1_700_000_000, 0)}}
	files := map[string][]byte{}
	for _, a := range args[2:] {
		name, state, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("release: %q is not SERVICE=STATE", a)
		}
		repo := "shop/" + name
		if state == "elsewhere" {
			repo = "other/" + name
		}
		w.n++
		if state == "hostile" {
			// An image on the hostile registry (cmdHostile): nothing is
			// pushed; the plan just names it.
			h := ts.Getenv("HOSTILE")
			if h == "" {
				ts.Fatalf("release: state hostile needs the hostile command first")
			}
			cfg.Services = append(cfg.Services, config.Service{Name: name, Image: h + "/" + repo, Manifests: "deploy/" + name})
			p.Services = append(p.Services, plan.Service{Name: name, Image: h + "/" + repo + "@sha256:" + strings.Repeat("c", 64), Tag: "1.0.0"})
			files[name+"/deployment.yaml"] = []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n")
			continue
		}
		ref, desc := pushImage(ts, w, repo, fmt.Sprintf("%s-%d", a, w.n))
		target := w.target(ts, repo)
		switch state {
		case "unsigned":
		case "signed", "elsewhere", "attested":
			_, err := signature.Sign(ctx, target, w.reg+"/"+repo, desc, w.key, signature.SignOptions{})
			ts.Check(err)
			if state == "attested" {
				_, err := signature.Attest(ctx, target, desc, w.key, "https://slsa.dev/provenance/v1", nil, signature.SignOptions{})
				ts.Check(err)
			}
		case "stranger":
			_, err := signature.Sign(ctx, target, w.reg+"/"+repo, desc, w.otherKey, signature.SignOptions{})
			ts.Check(err)
		default:
			ts.Fatalf("release: unknown state %q", state)
		}
		cfg.Services = append(cfg.Services, config.Service{Name: name, Image: w.reg + "/" + repo, Manifests: "deploy/" + name})
		p.Services = append(p.Services, plan.Service{Name: name, Image: ref, Tag: "1.0.0"})
		files[name+"/deployment.yaml"] = []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n")
	}
	p.Config = cfg.Close()
	art, err := plan.Pack(ctx, p, files)
	ts.Check(err)
	planRepo := "plans/" + args[0]
	target := w.target(ts, planRepo)
	_, err = plan.Publish(ctx, art, target, "1.0.0")
	ts.Check(err)
	switch args[1] {
	case "signed":
		_, err := signature.Sign(ctx, target, w.reg+"/"+planRepo, art.Descriptor, w.key, signature.SignOptions{Bundle: true})
		ts.Check(err)
	case "unsigned":
	default:
		ts.Fatalf("release: plan state %q is neither signed nor unsigned", args[1])
	}
	ts.Setenv("PLAN", w.reg+"/"+planRepo+"@"+art.Descriptor.Digest.String())
}

func (w *world) target(ts *testscript.TestScript, repo string) oras.Target {
	ref, err := registry.ParseReference(w.reg + "/" + repo)
	ts.Check(err)
	t, err := w.client.Target(context.Background(), ref, false)
	ts.Check(err)
	return t
}

func pushImage(ts *testscript.TestScript, w *world, repo, seed string) (string, ocispec.Descriptor) {
	ctx := context.Background()
	t := w.target(ts, repo)
	layer, err := oras.PushBytes(ctx, t, ocispec.MediaTypeImageLayer, []byte(seed))
	ts.Check(err)
	cfg, err := oras.PushBytes(ctx, t, ocispec.MediaTypeImageConfig, fmt.Appendf(nil, `{"rootfs":{"type":"layers","diff_ids":["%s"]}}`, layer.Digest))
	ts.Check(err)
	m, err := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: cfg, Layers: []ocispec.Descriptor{layer}})
	ts.Check(err)
	desc, err := oras.TagBytes(ctx, t, ocispec.MediaTypeImageManifest, m, "1.0.0")
	ts.Check(err)
	return w.reg + "/" + repo + "@" + desc.Digest.String(), desc
}

// hostile starts a registry that answers every request with a basic
// credentials challenge, sets $HOSTILE to its host, and appends every
// Authorization header it is sent (and the decoded basic credentials) to
// the file hostile.log as it receives them.
func cmdHostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: hostile")
	}
	logPath := ts.MkAbs("hostile.log")
	ts.Check(os.WriteFile(logPath, nil, 0o644))
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if a := r.Header.Get("Authorization"); a != "" {
			f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
			if err == nil {
				fmt.Fprintln(f, a)
				if u, p, ok := r.BasicAuth(); ok {
					fmt.Fprintf(f, "basic %s:%s\n", u, p)
				}
				f.Close()
			}
		}
		mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="hostile"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	ts.Defer(srv.Close)
	ts.Setenv("HOSTILE", strings.TrimPrefix(srv.URL, "http://"))
}
