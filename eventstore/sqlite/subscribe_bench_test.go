package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// BenchmarkSubscribersFollow measures live subscriptions: subs subscribers
// follow one goroutine that appends events in appends of 16, as the
// service's subscribers (evaluator, outbox, read models, ...) follow its
// command handlers. An op is one appended event, delivered to every
// subscriber. The appends cost far more than a delivery, so besides ns/op
// it reports per delivered event (op times subs) the CPU time of the
// subscriptions' own threads, sub-cpu-ns/delivered (on Linux; it hardly
// depends on what else the machine runs, and leaves out the garbage
// collector's background work), and sub-allocs/delivered, the allocations
// beyond those of b.N appends made first with no subscriber (timer
// stopped). tail=off has every subscriber read each event back from the
// file, as before the tail.
func BenchmarkSubscribersFollow(b *testing.B) {
	for _, subs := range []int{1, 6} {
		for _, tail := range []bool{false, true} {
			b.Run(fmt.Sprintf("subs=%d/tail=%s", subs, map[bool]string{false: "off", true: "on"}[tail]), func(b *testing.B) {
				opt := sqlite.WithTail(0, 0)
				if tail {
					opt = sqlite.WithTail(-1, -1)
				}
				s := openBench(b, opt)
				b.StopTimer()
				alone := measure(func() { benchAppends(b, s, "alone", b.N) })
				ctx, cancel := context.WithCancel(b.Context())
				defer cancel()
				head, err := s.Head(ctx)
				if err != nil {
					b.Fatal(err)
				}
				var wg sync.WaitGroup
				reached := make([]atomic.Uint64, subs)
				var subCPU atomic.Int64
				for i := range subs {
					reached[i].Store(head)
					wg.Go(func() {
						// On one thread, whose CPU time is the
						// subscription's.
						runtime.LockOSThread()
						defer runtime.UnlockOSThread()
						start := threadCPU()
						err := s.Subscribe(ctx, head, func(_ context.Context, r events.Record) error {
							reached[i].Store(r.GlobalPosition)
							return nil
						})
						subCPU.Add(int64(threadCPU() - start))
						if !errors.Is(err, context.Canceled) {
							b.Error(err)
						}
					})
				}
				b.ReportAllocs()
				b.StartTimer()
				followed := measure(func() {
					last := benchAppends(b, s, "followed", b.N)
					for i := range reached {
						for reached[i].Load() < last {
							time.Sleep(50 * time.Microsecond)
						}
					}
				})
				b.StopTimer()
				cancel()
				wg.Wait()
				delivered := float64(b.N * subs)
				if threadCPU() >= 0 {
					b.ReportMetric(float64(subCPU.Load())/delivered, "sub-cpu-ns/delivered")
				}
				b.ReportMetric(float64(followed.mallocs-alone.mallocs)/delivered, "sub-allocs/delivered")
			})
		}
	}
}

// cost is the allocations of a piece of work.
type cost struct {
	mallocs uint64
}

// measure returns the cost of f to the whole process.
func measure(f func()) cost {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return cost{mallocs: m1.Mallocs - m0.Mallocs}
}

// benchAppends appends n events, 16 to an append, and returns the position
// of the last.
func benchAppends(b *testing.B, s *sqlite.Store, prefix string, n int) uint64 {
	const perAppend = 16
	evs := make([]events.Event, perAppend)
	var last uint64
	for i := 0; i < n; i += perAppend {
		k := min(perAppend, n-i)
		key := fmt.Sprintf("%s/%d", prefix, i)
		for j := range k {
			evs[j] = benchEvent(key, j)
		}
		res, err := s.Append(b.Context(), fmt.Sprintf("bench/%d", i%64), eventstore.Any{}, evs[:k]...)
		if err != nil {
			b.Fatal(err)
		}
		last = res.Position
	}
	return last
}
