package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// benchPayload is a payload of a typical size (about 200 bytes).
var benchPayload = []byte(`{"world_id":"w1","strategy_id":"momentum-7","run_id":"r-20260314","stage":"paper",` +
	`"risk_tier":"medium","request_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`)

func benchEvent(key string, k int) events.Event {
	return events.Event{
		ID:             events.IDFromKeyN(key, k),
		Type:           "EvaluationRunSubmitted",
		SchemaVersion:  1,
		OccurredAt:     time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC),
		Actor:          "bench",
		IdempotencyKey: key,
		Payload:        benchPayload,
	}
}

func openBench(b *testing.B, opts ...sqlite.Option) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "events.db"), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkAppend measures durable appends from one goroutine, each append
// committed (and fsynced) before the next starts, with 1, 10 and 100 events
// per append.
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			s := openBench(b)
			evs := make([]events.Event, n)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			for i := 0; i < b.N; i++ {
				key := fmt.Sprintf("bench/%d", i)
				for k := range evs {
					evs[k] = benchEvent(key, k)
				}
				if _, err := s.Append(b.Context(), fmt.Sprintf("bench/%d", i%16), eventstore.Any{}, evs...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
			reportCPU(b, cpu, b.N*n)
		})
	}
}

// BenchmarkAppendConcurrent16 measures durable single-event appends from 16
// goroutines at once, each on its own stream: the group commit's case. An op
// is one append.
func BenchmarkAppendConcurrent16(b *testing.B) {
	const appenders = 16
	s := openBench(b)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	var wg sync.WaitGroup
	for w := range appenders {
		wg.Go(func() {
			stream := fmt.Sprintf("bench/%d", w)
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				e := benchEvent(fmt.Sprintf("bench/%d", i), 0)
				if _, err := s.Append(b.Context(), stream, eventstore.Any{}, e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, cpu, b.N)
}
