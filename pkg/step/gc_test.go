package step

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestDeferCollection(t *testing.T) {
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(name); ok {
			os.Unsetenv(name)
			t.Cleanup(func() { os.Setenv(name, v) })
		}
	}
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1) // a negative limit reads it
	if !deferCollection() {
		t.Fatal("deferCollection did nothing without GOGC or GOMEMLIMIT")
	}
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GC percent before the first collection = %d, want -1 (off)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != firstCollection {
		t.Errorf("memory limit before the first collection = %d, want %d", got, firstCollection)
	}

	runtime.GC()
	// The cleanup runs on a goroutine of its own after the cycle.
	for deadline := time.Now().Add(10 * time.Second); debug.SetMemoryLimit(-1) != limit && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("memory limit after the first collection = %d, want the process's own %d", got, limit)
	}
	if got := debug.SetGCPercent(percent); got != percent {
		t.Errorf("GC percent after the first collection = %d, want the process's own %d", got, percent)
	}
}

func TestDeferCollectionLeavesTheEnvironmentsChoice(t *testing.T) {
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, map[string]string{"GOGC": "200", "GOMEMLIMIT": "1GiB"}[name])
			percent := debug.SetGCPercent(-1)
			debug.SetGCPercent(percent)
			if deferCollection() {
				t.Fatalf("deferCollection changed the collector although %s is set", name)
			}
			if got := debug.SetGCPercent(percent); got != percent {
				t.Errorf("GC percent = %d, want %d", got, percent)
			}
		})
	}
}
