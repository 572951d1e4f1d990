package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/plan"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"bundle-plan": main})
}

// TestScripts runs the real step against real Distribution registries from
// internal/devenv and repositories the scripts build with the git command
// line. See testdata/README.md.
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real registries; skipped with -short")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the scripts build repositories with the git command: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup:               setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"image":    cmdImage,
			"envsubst": cmdEnvsubst,
			"output":   cmdOutput,
			"readplan": cmdReadPlan,
			"genkey":   cmdGenkey,
		},
	})
}

func setupScript(env *testscript.Env) error {
	ctx := context.Background()
	plain, err := devenv.NewRegistry(ctx, devenv.RegistryOptions{})
	if err != nil {
		return err
	}
	env.Defer(func() { _ = plain.Close() })
	authReg, err := devenv.NewRegistry(ctx, devenv.RegistryOptions{Auth: true})
	if err != nil {
		return err
	}
	env.Defer(func() { _ = authReg.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there

	home := filepath.Join(env.WorkDir, ".home")
	// A Docker config as `docker login` leaves it, for the auth registry.
	authDocker := filepath.Join(home, "auth-docker")
	if err := os.MkdirAll(authDocker, 0o700); err != nil {
		return err
	}
	login := base64.StdEncoding.EncodeToString([]byte(authReg.Username + ":" + authReg.Password))
	dockerCfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, authReg.Host, login)
	if err := os.WriteFile(filepath.Join(authDocker, "config.json"), []byte(dockerCfg), 0o600); err != nil {
		return err
	}
	for k, v := range map[string]string{
		"HOME":                home,
		"DOCKER_CONFIG":       filepath.Join(home, ".docker"),
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_CONFIG_GLOBAL":   filepath.Join(home, "gitconfig"),
		"GIT_AUTHOR_NAME":     "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
		"GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
		"GIT_AUTHOR_DATE": "2026-05-04T10:30:00Z", "GIT_COMMITTER_DATE": "2026-05-04T10:30:00Z",
		"AVIARY_CI":          "local",
		"REGISTRY":           plain.Host,
		"AUTH_REGISTRY":      authReg.Host,
		"AUTH_USER":          authReg.Username,
		"AUTH_PASS":          authReg.Password,
		"AUTH_DOCKER_CONFIG": authDocker,
		"DEAD_REGISTRY":      dead,
	} {
		env.Setenv(k, v)
	}
	return nil
}

// image REF... pushes a small random image as each REF. On $AUTH_REGISTRY
// it logs in with $AUTH_USER and $AUTH_PASS.
func cmdImage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: image REF...")
	}
	for _, a := range args {
		ref, err := name.ParseReference(a, name.Insecure)
		ts.Check(err)
		img, err := random.Image(256, 1)
		ts.Check(err)
		var opts []remote.Option
		if ref.Context().RegistryStr() == ts.Getenv("AUTH_REGISTRY") {
			opts = append(opts, remote.WithAuth(&authn.Basic{Username: ts.Getenv("AUTH_USER"), Password: ts.Getenv("AUTH_PASS")}))
		}
		ts.Check(remote.Write(ref, img, opts...))
	}
}

// envsubst FILE... replaces $NAME and ${NAME} in each file by the script's
// environment, so fixtures can name the registries of the run.
func cmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: envsubst FILE...")
	}
	for _, f := range args {
		data := os.Expand(ts.ReadFile(f), ts.Getenv)
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(data), 0o644))
	}
}

// output KEY VALUE checks that the JSON object the last command printed on
// stdout holds KEY with the string VALUE, or only starts with it when VALUE
// ends in '*'. It sets $OUT_<KEY> to the value (OUT_PLAN_REF).
func cmdOutput(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: output KEY VALUE")
	}
	var outputs map[string]string
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &outputs); err != nil {
		ts.Fatalf("stdout is not a JSON object of outputs: %v", err)
	}
	got, ok := outputs[args[0]]
	if !ok {
		ts.Fatalf("no output %q in %v", args[0], outputs)
	}
	want := args[1]
	match := got == want
	if prefix, ok := strings.CutSuffix(want, "*"); ok {
		match = strings.HasPrefix(got, prefix)
	}
	if match == neg {
		ts.Fatalf("output %s = %q, want %s%q", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
	ts.Setenv("OUT_"+strings.ToUpper(strings.ReplaceAll(args[0], "-", "_")), got)
}

// genkey FILE writes a new unencrypted PKCS#8 ECDSA P-256 private key, a
// key cosign accepts.
func cmdGenkey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: genkey FILE")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
}

// readplan REF reads the plan with plan.Read, as every later step does, and
// prints its version, source and services, one per line, and its manifest
// files, to stdout.
func cmdReadPlan(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: readplan [-allow-tag] REF")
	}
	opts := plan.ReadOptions{}
	if args[0] == "-allow-tag" {
		opts.AllowTag = true
		args = args[1:]
	}
	ref := args[0]
	if dir, ok := strings.CutPrefix(ref, "oci-layout:"); ok {
		ref = "oci-layout:" + ts.MkAbs(dir) // relative to the script's directory
	}
	l, err := plan.Read(context.Background(), ref, opts)
	if neg {
		if err == nil {
			ts.Fatalf("readplan %s succeeded", args[0])
		}
		fmt.Fprintf(ts.Stdout(), "error: %v\n", err)
		return
	}
	ts.Check(err)
	p := l.Plan
	fmt.Fprintf(ts.Stdout(), "version %s\nsource %s %s %s\n", p.Version, p.Source.Repository, p.Source.Commit, p.Source.Time.Format("2006-01-02T15:04:05Z07:00"))
	fmt.Fprintf(ts.Stdout(), "topology %s\ncanary steps %v pause %s\n", p.Config.Topology.Kind, p.Config.Canary.Steps, p.Config.Canary.Pause.Duration)
	for _, s := range p.Services {
		fmt.Fprintf(ts.Stdout(), "service %s %s tag %s manifests %s\n", s.Name, s.Image, s.Tag, strings.Join(s.Manifests, ","))
	}
	paths := make([]string, 0, len(l.Manifests))
	for k := range l.Manifests {
		paths = append(paths, k)
	}
	sort.Strings(paths)
	for _, k := range paths {
		fmt.Fprintf(ts.Stdout(), "file %s %d\n", k, len(l.Manifests[k]))
	}
}
