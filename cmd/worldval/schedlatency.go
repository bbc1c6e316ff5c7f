package main

import (
	"fmt"
	"math"
	"runtime/metrics"
	"time"
)

// schedLatencyMetric is the runtime's histogram of how long goroutines
// waited, runnable, before they ran.
const schedLatencyMetric = "/sched/latencies:seconds"

// schedLatencies is a snapshot of the runtime's scheduling-latency
// histogram.
type schedLatencies struct {
	counts  []uint64
	buckets []float64
}

// readSchedLatencies takes a snapshot; it is empty when the runtime does
// not keep the histogram.
func readSchedLatencies() schedLatencies {
	s := []metrics.Sample{{Name: schedLatencyMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return schedLatencies{}
	}
	h := s[0].Value.Float64Histogram()
	return schedLatencies{counts: append([]uint64(nil), h.Counts...), buckets: h.Buckets}
}

// since returns the waits recorded between before and s.
func (s schedLatencies) since(before schedLatencies) schedLatencies {
	if len(before.counts) != len(s.counts) {
		return s
	}
	out := schedLatencies{counts: make([]uint64, len(s.counts)), buckets: s.buckets}
	for i := range s.counts {
		out.counts[i] = s.counts[i] - before.counts[i]
	}
	return out
}

// quantile returns the upper bound of the bucket holding the q-quantile of
// the waits, 0 when none were recorded.
func (s schedLatencies) quantile(q float64) time.Duration {
	var total uint64
	for _, c := range s.counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			upper := s.buckets[i+1]
			if math.IsInf(upper, 1) {
				upper = s.buckets[i]
			}
			return time.Duration(upper * float64(time.Second))
		}
	}
	return 0
}

// String summarises the waits as percentiles (each the upper bound of its
// histogram bucket).
func (s schedLatencies) String() string {
	return fmt.Sprintf("p50 %s  p99 %s  p99.9 %s  max %s",
		fmtDur(s.quantile(0.5)), fmtDur(s.quantile(0.99)), fmtDur(s.quantile(0.999)), fmtDur(s.quantile(1)))
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}
