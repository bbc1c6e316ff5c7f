package sqlite_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// BenchmarkAppendVerdictPaced appends the events of BenchmarkAppendVerdict
// (a submission, then seven events in a second append) at a fixed rate of
// verdicts per second, open loop as the service receives submissions: each
// verdict starts on schedule in a goroutine of its own, however long the
// earlier ones take. It reports the latency of single appends (call to
// return, so queueing, group commit and any checkpoint the commit waits for)
// as percentiles in µs, and the process's CPU time per event, including the
// checkpoint at close. An op is one verdict: run with -benchtime=10000x for
// ten seconds at 1000/s. The store holds verdictPrefill events first.
func BenchmarkAppendVerdictPaced(b *testing.B) {
	for _, rate := range []int{700, 1000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "events.db")
			copyFile(b, prefilledStore(b), path)
			s, err := sqlite.Open(b.Context(), path)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			pacedVerdicts(b, s, rate)
		})
	}
}

func pacedVerdicts(b *testing.B, s *sqlite.Store, rate int) {
	submitted := verdictPayload(2600)
	followUp := [][]byte{verdictPayload(2000), verdictPayload(700), verdictPayload(700), verdictPayload(700),
		verdictPayload(700), verdictPayload(700), verdictPayload(1000)}
	latency := make([]time.Duration, 2*b.N) // two appends a verdict, each written by its own goroutine
	interval := time.Second / time.Duration(rate)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range b.N {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			stream := fmt.Sprintf("evaluation-run/paced/s%03d/r%010d", i%37, i)
			key := "submit:" + stream
			t0 := time.Now()
			if _, err := s.Append(b.Context(), stream, eventstore.NoStream{}, verdictEvent(key, 0, submitted)); err != nil {
				b.Error(err)
				return
			}
			t1 := time.Now()
			latency[2*i] = t1.Sub(t0)
			key = "evaluate:" + stream
			evs := make([]events.Event, len(followUp))
			for k := range evs {
				evs[k] = verdictEvent(key, k, followUp[k])
			}
			if _, err := s.Append(b.Context(), stream, eventstore.Exact(1), evs...); err != nil {
				b.Error(err)
				return
			}
			latency[2*i+1] = time.Since(t1)
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil { // count the checkpoint at close, as BenchmarkAppendVerdict does
		b.Fatal(err)
	}
	reportCPU(b, cpu, b.N*9)
	slices.Sort(latency)
	for _, q := range []struct {
		name string
		at   float64
	}{{"p50", 0.50}, {"p99", 0.99}, {"p99.9", 0.999}, {"max", 1}} {
		i := min(int(q.at*float64(len(latency))), len(latency)-1)
		b.ReportMetric(float64(latency[i].Microseconds()), q.name+"-µs")
	}
}
