package canary_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
)

// wire counts the requests a benchmark's clients make and the bytes
// they send and receive.
type wire struct {
	requests, sent, received atomic.Int64
}

// wrap counts every request through rt; a nil wire counts nothing.
func (t *wire) wrap(rt http.RoundTripper) http.RoundTripper {
	if t == nil {
		return rt
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.requests.Add(1)
		if r.ContentLength > 0 {
			t.sent.Add(r.ContentLength)
		}
		resp, err := rt.RoundTrip(r)
		if resp != nil && resp.Body != nil {
			resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.received}
		}
		return resp, err
	})
}

func (t *wire) reset() { t.requests.Store(0); t.sent.Store(0); t.received.Store(0) }

// report adds requests/op and KiB-sent/op and KiB-received/op over n ops.
func (t *wire) report(b *testing.B, n int) {
	b.ReportMetric(float64(t.requests.Load())/float64(n), "requests/op")
	b.ReportMetric(float64(t.sent.Load())/1024/float64(n), "KiB-sent/op")
	b.ReportMetric(float64(t.received.Load())/1024/float64(n), "KiB-received/op")
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// reportCPU reports the CPU of n ops: the control plane's as
// ms-control-plane-cpu/op; this process's (devenv.ProcessCPU: aviary's
// side, and whatever the fixture serves from the process, idle while an op
// is timed) as ms-client-cpu/op; and their sum over the machine's cores as
// ms-cpu-floor/op, the least wall time an op could take here however its
// work were spread, since the control plane and the step share the cores.
// An op near its floor is bound by the CPU the work costs, not by waiting.
func reportCPU(b *testing.B, controlPlane, client time.Duration, n int) {
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	b.ReportMetric(per(controlPlane), "ms-control-plane-cpu/op")
	b.ReportMetric(per(client), "ms-client-cpu/op")
	b.ReportMetric(per(controlPlane+client)/float64(runtime.NumCPU()), "ms-cpu-floor/op")
}

// controlPlaneCPU is the CPU time the fixture's cluster processes
// (kube-apiserver, etcd, the controllers, kwok) have used so far: the
// work a step makes the control plane do, which a loaded machine does not
// change as much as it changes wall time.
func controlPlaneCPU(f *canarytest.Fixture) time.Duration {
	var total time.Duration
	for _, d := range controlPlaneCPUByProcess(f) {
		total += d
	}
	return total
}

// controlPlaneCPUByProcess is controlPlaneCPU by process name
// (kube-apiserver, etcd, kube-controller, kube-scheduler, kwok).
func controlPlaneCPUByProcess(f *canarytest.Fixture) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, pid := range f.Cluster.PIDs() {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// The command sits in parentheses; utime and stime are the 14th
		// and 15th fields of the line, the 12th and 13th after it.
		open, end := strings.IndexByte(string(data), '('), strings.LastIndexByte(string(data), ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(string(data[end+1:]))
		if len(fields) > 12 {
			u, _ := strconv.ParseInt(fields[11], 10, 64)
			s, _ := strconv.ParseInt(fields[12], 10, 64)
			out[string(data[open+1:end])] += time.Duration(u+s) * (time.Second / 100) // USER_HZ is 100 on Linux
		}
	}
	return out
}

// cpuSince is the CPU each process used since before, rounded, for a log
// line.
func cpuSince(f *canarytest.Fixture, before map[string]time.Duration) string {
	now := controlPlaneCPUByProcess(f)
	names := make([]string, 0, len(now))
	for n := range now {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		out = append(out, fmt.Sprintf("%s %s", n, (now[n]-before[n]).Round(10*time.Millisecond)))
	}
	return strings.Join(out, ", ")
}
