package devenv

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// generator accrues synthetic requests for each series as time passes and
// exposes them as Prometheus metrics. It accrues on every Set and every
// scrape, so changes take effect exactly when they are made.
type generator struct {
	now func() time.Time
	// cluster, when set, is the one destination cluster it reports.
	cluster  string
	requests *prometheus.Desc
	duration *prometheus.Desc

	mu     sync.Mutex
	series map[string]*seriesState
}

type seriesState struct {
	Series
	last time.Time
	// per response code: accrued requests, duration sum and bucket counts
	codes map[int]*accrued
}

type accrued struct {
	count, sum float64
	buckets    []float64
}

func newGenerator(now func() time.Time) *generator {
	return &generator{
		now: now,
		requests: prometheus.NewDesc("istio_requests_total",
			"Requests received, as reported by Istio's destination sidecar (synthetic).", telemetryLabels, nil),
		duration: prometheus.NewDesc("istio_request_duration_milliseconds",
			"Request durations in milliseconds, as reported by Istio's destination sidecar (synthetic).", telemetryLabels, nil),
		series: map[string]*seriesState{},
	}
}

func (g *generator) set(s Series) error {
	if s.Service == "" || s.Namespace == "" {
		return fmt.Errorf("telemetry series needs a service and a namespace, got %+v", s)
	}
	if g.cluster != "" {
		if s.Cluster == "" {
			s.Cluster = g.cluster
		}
		if s.Cluster != g.cluster {
			return fmt.Errorf("telemetry of cluster %s: series %s/%s %s is of cluster %s, whose sidecars report it to their own cluster's Prometheus", g.cluster, s.Namespace, s.Service, s.Version, s.Cluster)
		}
	}
	s = s.withDefaults()
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	st, ok := g.series[s.key()]
	if !ok {
		st = &seriesState{last: now, codes: map[int]*accrued{}}
		g.series[s.key()] = st
	} else {
		st.accrue(now)
	}
	st.Series = s
	for _, code := range []int{200, s.ErrorCode} {
		if st.codes[code] == nil {
			st.codes[code] = &accrued{buckets: make([]float64, len(istioBuckets))}
		}
	}
	return nil
}

func (g *generator) remove(s Series) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.series, s.key())
}

// accrue adds the requests of the time since the last accrual.
func (st *seriesState) accrue(now time.Time) {
	dt := now.Sub(st.last).Seconds()
	st.last = now
	if dt <= 0 || st.RPS == 0 {
		return
	}
	n := st.RPS * dt
	dist := newLogNormal(st.LatencyP50ms, st.LatencyP99ms)
	for code, share := range map[int]float64{200: 1 - st.ErrorRatio, st.ErrorCode: st.ErrorRatio} {
		a := st.codes[code]
		k := n * share
		a.count += k
		a.sum += k * dist.mean()
		for i, le := range istioBuckets {
			a.buckets[i] += k * dist.cdf(le)
		}
	}
}

func (g *generator) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.requests
	ch <- g.duration
}

func (g *generator) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	for _, key := range sortedKeys(g.series) {
		st := g.series[key]
		st.accrue(now)
		for code, a := range st.codes {
			labels := labelValues(st.Series, code)
			ch <- prometheus.MustNewConstMetric(g.requests, prometheus.CounterValue, a.count, labels...)
			ch <- floatHistogram{desc: g.duration, labels: prometheus.MakeLabelPairs(g.duration, labels),
				count: a.count, sum: a.sum, buckets: append([]float64(nil), a.buckets...)}
		}
	}
}

// floatHistogram is a histogram whose counts are fractional: the generator
// accrues expected request counts, and rounding them to integers would skew
// histogram_quantile over short windows. The exposition formats carry float
// counts (sample_count_float, cumulative_count_float).
type floatHistogram struct {
	desc       *prometheus.Desc
	labels     []*dto.LabelPair
	count, sum float64
	buckets    []float64 // cumulative, one per istioBuckets entry
}

func (h floatHistogram) Desc() *prometheus.Desc { return h.desc }

func (h floatHistogram) Write(m *dto.Metric) error {
	m.Label = h.labels
	hist := &dto.Histogram{SampleCountFloat: proto.Float64(h.count), SampleSum: proto.Float64(h.sum)}
	for i, le := range istioBuckets {
		hist.Bucket = append(hist.Bucket, &dto.Bucket{
			UpperBound:           proto.Float64(le),
			CumulativeCountFloat: proto.Float64(h.buckets[i]),
		})
	}
	m.Histogram = hist
	return nil
}

// logNormal is the request-duration distribution given its median and 99th
// percentile.
type logNormal struct{ mu, sigma float64 }

const z99 = 2.3263478740408408 // the standard normal's 99th percentile

func newLogNormal(p50, p99 float64) logNormal {
	sigma := math.Log(p99/p50) / z99
	if sigma < 1e-3 {
		sigma = 1e-3
	}
	return logNormal{mu: math.Log(p50), sigma: sigma}
}

func (d logNormal) cdf(x float64) float64 {
	return 0.5 * math.Erfc(-(math.Log(x)-d.mu)/(d.sigma*math.Sqrt2))
}

func (d logNormal) mean() float64 { return math.Exp(d.mu + d.sigma*d.sigma/2) }
