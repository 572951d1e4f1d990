package devenv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// registryChildEnv, set in a test binary's environment, makes
// ServeRegistryChild serve a registry instead of returning.
const registryChildEnv = "AVIARY_DEVENV_REGISTRY_CHILD"

// ServeRegistryChild serves a plain registry (NewRegistry with zero
// options) and exits when the process was started by
// StartRegistryProcess: it prints the registry's host on stdout and stops
// when stdin closes. Otherwise it returns at once. Call it first in the
// TestMain of a package that uses StartRegistryProcess.
func ServeRegistryChild() {
	if os.Getenv(registryChildEnv) != "1" {
		return
	}
	r, err := NewRegistry(context.Background(), RegistryOptions{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting registry: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(r.Host)
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = r.Close()
	os.Exit(0)
}

// RegistryProcess is a registry served by a child process.
type RegistryProcess struct {
	// Host is "127.0.0.1:<port>", the registry part of an image reference.
	Host string
}

// StartRegistryProcess starts a plain registry (as StartRegistry) in a
// child process, the test binary run again, whose TestMain must call
// ServeRegistryChild first; it stops when the test ends. A benchmark uses
// it so that what it measures of its own process (CPU, allocations, peak
// RSS) is the client's work, not the registry's, as when a step talks to
// a registry elsewhere.
func StartRegistryProcess(t testing.TB) *RegistryProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("finding the test binary: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), registryChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the registry process: %v", err)
	}
	stop := func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	host := strings.TrimSpace(line)
	if err != nil || host == "" {
		stop()
		t.Fatalf("the registry process did not say its host (%q): %v", line, err)
	}
	t.Cleanup(stop)
	return &RegistryProcess{Host: host}
}
