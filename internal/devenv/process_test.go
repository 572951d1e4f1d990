package devenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestChildDiesWithTestProcess starts a helper process that starts a child
// and then exits without cleaning up, as a test binary does on a timeout
// panic; the child must not survive it.
func TestChildDiesWithTestProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux-only")
	}
	if os.Getenv("AVIARY_DEVENV_HELPER") == "1" {
		p, err := startProcess("sleep", "sleep", []string{"300"}, filepath.Join(os.Getenv("AVIARY_DEVENV_HELPER_DIR"), "sleep.log"))
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println(p.pid())
		os.Exit(1) // no Close, no cleanup
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildDiesWithTestProcess$")
	cmd.Env = append(os.Environ(), "AVIARY_DEVENV_HELPER=1", "AVIARY_DEVENV_HELPER_DIR="+t.TempDir())
	out, _ := cmd.Output()
	line, _, _ := strings.Cut(string(out), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("helper printed %q, want a pid", out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) && !zombie(pid) {
		if time.Now().After(deadline) {
			_ = exec.Command("kill", "-9", strconv.Itoa(pid)).Run()
			t.Fatalf("child %d still runs 5s after its parent died", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func zombie(pid int) bool {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return true
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "State:"); ok {
			return strings.Contains(rest, "Z")
		}
	}
	return false
}

func TestSweepStaleRemovesDeadOwners(t *testing.T) {
	root := t.TempDir()
	dead := filepath.Join(root, "999999999-cluster-x")
	live := filepath.Join(root, strconv.Itoa(os.Getpid())+"-cluster-y")
	other := filepath.Join(root, "notes")
	for _, d := range []string{dead, live, other} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sweepStale(root)
	for d, want := range map[string]bool{dead: false, live: true, other: true} {
		_, err := os.Stat(d)
		if got := err == nil; got != want {
			t.Errorf("after sweepStale, %s exists = %t, want %t", filepath.Base(d), got, want)
		}
	}
}
