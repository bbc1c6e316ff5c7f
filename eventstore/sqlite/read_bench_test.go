package sqlite_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// BenchmarkReadStream reads a stream as an aggregate load does: one that
// does not exist (the model cards of a strategy that has none, looked up at
// every submission) and one of eight events (a run), from a store of 16,000
// events.
func BenchmarkReadStream(b *testing.B) {
	s := openBench(b)
	for i := range 2000 {
		evs := make([]events.Event, 8)
		for k := range evs {
			evs[k] = benchEvent(fmt.Sprintf("read/%d", i), k)
		}
		if _, err := s.Append(b.Context(), fmt.Sprintf("run/%d", i), eventstore.NoStream{}, evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("missing", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := s.ReadStream(b.Context(), fmt.Sprintf("cards/%d", i%2000), 0, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
				b.Fatal(err)
			}
		}
	})
	b.Run("events=8", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if recs, err := s.ReadStream(b.Context(), fmt.Sprintf("run/%d", i%2000), 0, 0); err != nil || len(recs) != 8 {
				b.Fatal(len(recs), err)
			}
		}
	})
}

// BenchmarkReadAll reads the global stream a page at a time, as a projection
// rebuild or a subscription catching up does, from a store of 16,000 events
// in 2,000 streams.
func BenchmarkReadAll(b *testing.B) {
	s := openBench(b)
	const streams, perStream, page = 2000, 8, 500
	for i := range streams {
		evs := make([]events.Event, perStream)
		for k := range evs {
			evs[k] = benchEvent(fmt.Sprintf("all/%d", i), k)
		}
		if _, err := s.Append(b.Context(), fmt.Sprintf("run/%d", i), eventstore.NoStream{}, evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		after := uint64(i*page) % (streams * perStream)
		if recs, err := s.ReadAll(b.Context(), after, page); err != nil || len(recs) != page {
			b.Fatal(len(recs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*page), "ns/event")
}
