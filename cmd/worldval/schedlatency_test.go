package main

import (
	"math"
	"testing"
	"time"
)

// TestSchedLatencyQuantiles checks the percentiles read off a histogram:
// each is the upper bound of the bucket that holds it, the last bucket's
// infinite bound falls back to its lower one, and an empty histogram reads 0.
func TestSchedLatencyQuantiles(t *testing.T) {
	inf := math.Inf(1)
	before := schedLatencies{counts: []uint64{5, 0, 0, 0}, buckets: []float64{0, 1e-6, 1e-3, 1e-2, inf}}
	now := schedLatencies{counts: []uint64{95, 4, 0, 1}, buckets: before.buckets}
	s := now.since(before)
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, time.Microsecond},  // 90 of 95 waits in the first bucket
		{0.95, time.Millisecond}, // the 91st to 94th in the second
		{0.99, 10 * time.Millisecond},
		{1, 10 * time.Millisecond}, // the last bucket is open: its lower bound
	} {
		if got := s.quantile(c.q); got != c.want {
			t.Errorf("q%.2f = %v, want %v", c.q, got, c.want)
		}
	}
	if got := (schedLatencies{counts: []uint64{0, 0}, buckets: []float64{0, 1, 2}}).quantile(0.99); got != 0 {
		t.Errorf("empty histogram: %v, want 0", got)
	}
	if live := readSchedLatencies(); len(live.counts) == 0 || len(live.buckets) != len(live.counts)+1 {
		t.Errorf("the runtime's histogram: %d counts, %d bucket bounds", len(live.counts), len(live.buckets))
	}
}
