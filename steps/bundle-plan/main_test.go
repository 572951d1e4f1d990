package main

import (
	"context"
	"fmt"
	"net"
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
	"github.com/aviary-cd/aviary/internal/scripttest"
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
			"envsubst": scripttest.Envsubst,
			"output":   scripttest.Output,
			"readplan": cmdReadPlan,
			"genkey":   scripttest.Genkey,
			"nosecret": scripttest.NoSecret,
			"repeat":   scripttest.Repeat,
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

	vars := scripttest.GitEnv(env.WorkDir)
	for k, v := range map[string]string{
		"DOCKER_CONFIG":   filepath.Join(vars["HOME"], ".docker"),
		"GIT_AUTHOR_DATE": "2026-05-04T10:30:00Z", "GIT_COMMITTER_DATE": "2026-05-04T10:30:00Z",
		"REGISTRY":      plain.Host,
		"AUTH_REGISTRY": authReg.Host,
		"AUTH_USER":     authReg.Username,
		"AUTH_PASS":     authReg.Password,
		// The Docker config `docker login` would leave for the auth registry.
		"AUTH_DOCKER_CONFIG": authReg.DockerConfig,
		"DEAD_REGISTRY":      dead,
	} {
		vars[k] = v
	}
	for k, v := range vars {
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
