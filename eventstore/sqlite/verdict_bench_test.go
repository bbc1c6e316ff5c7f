package sqlite_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// verdictPrefill is how many events the store of BenchmarkAppendVerdict
// holds before it starts: enough that the event_id index (random keys) no
// longer fits SQLite's default page cache, as in a store that has run a
// while.
const verdictPrefill = 100_000

// BenchmarkAppendVerdict appends what the service stores for one verdict,
// from 16 goroutines at once as the HTTP submissions and the evaluator do:
// a new run stream with one 2.6 KB submission (expected: no stream), then
// seven events (2 KB, five of 700 B, 1 KB) in one append to the same stream.
// An op is one verdict, nine events in two appends. The store holds
// verdictPrefill events first (prefill=100k) or none (prefill=0).
// cpu-µs/event is the process's CPU time per appended event, including the
// checkpoint of the WAL when the store closes.
func BenchmarkAppendVerdict(b *testing.B) {
	for _, prefill := range []bool{false, true} {
		name := map[bool]string{false: "prefill=0", true: "prefill=100k"}[prefill]
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "events.db")
			if prefill {
				copyFile(b, prefilledStore(b), path)
			}
			s, err := sqlite.Open(b.Context(), path)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			benchVerdicts(b, s)
		})
	}
}

func benchVerdicts(b *testing.B, s *sqlite.Store) {
	const appenders = 16
	submitted := verdictPayload(2600)
	followUp := [][]byte{verdictPayload(2000), verdictPayload(700), verdictPayload(700), verdictPayload(700),
		verdictPayload(700), verdictPayload(700), verdictPayload(1000)}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	var wg sync.WaitGroup
	for range appenders {
		wg.Go(func() {
			evs := make([]events.Event, len(followUp))
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				stream := fmt.Sprintf("evaluation-run/bench/s%03d/r%010d", i%37, i)
				key := "submit:" + stream
				if _, err := s.Append(b.Context(), stream, eventstore.NoStream{}, verdictEvent(key, 0, submitted)); err != nil {
					b.Error(err)
					return
				}
				key = "evaluate:" + stream
				for k := range evs {
					evs[k] = verdictEvent(key, k, followUp[k])
				}
				if _, err := s.Append(b.Context(), stream, eventstore.Exact(1), evs...); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*9)/b.Elapsed().Seconds(), "events/s")
	// Closing checkpoints what is left in the WAL: count it, or a
	// rarer checkpoint would look cheaper than it is.
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	reportCPU(b, cpu, b.N*9)
}

// verdictPayload returns a JSON object of about n bytes.
func verdictPayload(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"returns":[`)
	for i := 0; sb.Len() < n-2; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "%.6f", float64((i*7919)%2003-1000)/100000)
	}
	sb.WriteString("]}")
	return []byte(sb.String())
}

func verdictEvent(key string, k int, payload []byte) events.Event {
	return events.Event{
		ID:             events.IDFromKeyN(key, k),
		Type:           "EvaluationRunSubmitted",
		SchemaVersion:  1,
		OccurredAt:     time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC),
		Actor:          "bench",
		IdempotencyKey: key,
		Payload:        payload,
	}
}

var prefilled struct {
	once sync.Once
	path string
	err  error
}

// prefilledStore returns the path of a closed store holding verdictPrefill
// events (200-byte payloads, 100 to an append, 64 streams), built once per
// process in a directory TestMain removes.
func prefilledStore(b *testing.B) string {
	prefilled.once.Do(func() {
		prefilled.path = filepath.Join(benchDir, "prefilled.db")
		s, err := sqlite.Open(b.Context(), prefilled.path)
		if err != nil {
			prefilled.err = err
			return
		}
		evs := make([]events.Event, 100)
		for i := 0; i < verdictPrefill && prefilled.err == nil; i += len(evs) {
			key := fmt.Sprintf("prefill/%d", i)
			for k := range evs {
				evs[k] = benchEvent(key, k)
			}
			_, prefilled.err = s.Append(b.Context(), fmt.Sprintf("prefill/%d", i%64), eventstore.Any{}, evs...)
		}
		if err := s.Close(); prefilled.err == nil {
			prefilled.err = err
		}
	})
	if prefilled.err != nil {
		b.Fatal(prefilled.err)
	}
	return prefilled.path
}

func copyFile(b *testing.B, from, to string) {
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}
