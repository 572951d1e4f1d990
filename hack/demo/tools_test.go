package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/toolcache"
)

func TestFirstRunNoticeSaysHowLong(t *testing.T) {
	missing := []toolcache.Tool{
		{Name: "kube-apiserver", ColdCPU: 12 * time.Minute},
		{Name: "pilot-discovery", ColdCPU: 15 * time.Minute},
	}
	got := firstRunNotice(missing, 2, "/cache")
	for _, want := range []string{"kube-apiserver, pilot-discovery", "/cache", "about 27 minutes of CPU", "about 15 minutes on 2 idle core(s)"} {
		if !strings.Contains(got, want) {
			t.Errorf("firstRunNotice = %q; does not say %q", got, want)
		}
	}
}

func TestBuildPrinterShowsProgress(t *testing.T) {
	var out bytes.Buffer
	p := &buildPrinter{out: &out, last: map[string]time.Time{}}
	tools := []string{"kube-apiserver", "kube-scheduler"}
	p.event(toolcache.Event{State: toolcache.Started, Tools: tools})
	p.event(toolcache.Event{State: toolcache.Compiling, Tools: tools, Packages: 5, Total: 10})
	p.last["kube-apiserver, kube-scheduler"] = time.Now().Add(-progressEvery)
	p.event(toolcache.Event{State: toolcache.Compiling, Tools: tools, Packages: 6, Total: 10, Elapsed: 95 * time.Second})
	p.event(toolcache.Event{State: toolcache.Done, Tools: tools, Elapsed: 3 * time.Minute})
	got := out.String()
	for _, want := range []string{"building kube-apiserver, kube-scheduler ...", "6 of 10 packages (60 %), 1m35s", "built kube-apiserver, kube-scheduler in 3m0s"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress output %q does not say %q", got, want)
		}
	}
	if strings.Contains(got, "5 of 10") {
		t.Errorf("progress output %q repeats within %v", got, progressEvery)
	}
}
