package projections_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// seedBench records runs runs in world w1 (strategies s0..s9, stages
// backtest/paper), each submitted, evaluated with five rules and, one in
// ten, overridden: 9 or 10 events per run. Appends run from 16 goroutines so
// the store's group commit keeps the setup short.
func seedBench(b *testing.B, runs int) (*fixture, []events.Record) {
	b.Helper()
	f := newFixture(b)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				id, s := fmt.Sprintf("r%06d", i), fmt.Sprintf("s%d", i%10)
				at := t0.Add(time.Duration(i) * time.Second)
				f.submit("w1", s, id, []string{"backtest", "paper"}[i%2], at)
				f.complete("w1", s, id, verdicts[i%3], at)
				if i%10 == 0 {
					f.override("w1", s, id, "approved", "2026-03-02T00:00:00Z", "2026-04-01T00:00:00Z", at)
				}
			}
		}()
	}
	for i := range runs {
		work <- i
	}
	close(work)
	wg.Wait()
	return f, f.all()
}

// benchApply folds recs into a fresh projection per iteration, in batches of
// batch events (1: the live, event-by-event path).
func benchApply(b *testing.B, recs []events.Record, batch int, newP func(projections.Store, *events.Registry) (projections.Projection, error)) {
	reg := events.Catalogue()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := newP(projections.NewMemoryStore(), reg)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(recs); i += batch {
			if err := p.ApplyBatch(b.Context(), recs[i:min(len(recs), i+batch)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/event")
}

func BenchmarkApply(b *testing.B) {
	_, recs := seedBench(b, 500)
	ctors := []struct {
		name string
		newP func(projections.Store, *events.Registry) (projections.Projection, error)
	}{
		{projections.RunCurrentName, func(s projections.Store, r *events.Registry) (projections.Projection, error) {
			return projections.NewRunCurrent(s, r)
		}},
		{projections.RunHistoryName, func(s projections.Store, r *events.Registry) (projections.Projection, error) {
			return projections.NewRunHistory(s, r)
		}},
		{projections.ApprovedOverridesName, func(s projections.Store, r *events.Registry) (projections.Projection, error) {
			return projections.NewApprovedOverrides(s, r)
		}},
		{projections.InvariantsName, func(s projections.Store, r *events.Registry) (projections.Projection, error) {
			return projections.NewInvariants(s, r)
		}},
	}
	for _, c := range ctors {
		for _, batch := range []int{1, 256} {
			b.Run(fmt.Sprintf("%s/batch=%d", c.name, batch), func(b *testing.B) { benchApply(b, recs, batch, c.newP) })
		}
	}
}

func BenchmarkList(b *testing.B) {
	f, recs := seedBench(b, 5000)
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), f.reg)
	if err != nil {
		b.Fatal(err)
	}
	if err := runs.ApplyBatch(b.Context(), recs); err != nil {
		b.Fatal(err)
	}
	// A cursor into the middle of the world, so pages are not all the first.
	mid, err := runs.List(b.Context(), "w1", projections.ListQuery{Limit: 2500})
	if err != nil {
		b.Fatal(err)
	}
	queries := map[string]projections.ListQuery{
		"all":                {Limit: 50},
		"all/middle":         {Limit: 50, Cursor: mid.NextCursor},
		"verdict=fail":       {Limit: 50, Verdict: "fail"},
		"strategy+stage":     {Limit: 50, Strategy: "s3", Stage: "paper"}, // scans s3, half match
		"status=evaluating":  {Limit: 50, Status: projections.StatusEvaluating},
		"stage+verdict/rare": {Limit: 50, Stage: "backtest", Verdict: "warn"},
	}
	for name, q := range queries {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := runs.List(b.Context(), "w1", q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAsOfRun(b *testing.B) {
	f, _ := seedBench(b, 200)
	a, err := projections.NewAsOf(f.es, f.reg)
	if err != nil {
		b.Fatal(err)
	}
	at := t0.Add(24 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Run(b.Context(), at, "w1", "s3", "r000123"); err != nil {
			b.Fatal(err)
		}
	}
}

// verdictTemplate reads testdata/verdict.jsonl: the payloads of one verdict
// as the service records them (taken from a run of worldval bench ingest,
// the return series shortened) — the submission, then the evaluation's
// MetricsComputed, five RuleEvaluated and EvaluationCompleted.
func verdictTemplate(b *testing.B, reg *events.Registry) []any {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "verdict.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var out []any
	for line := range strings.Lines(string(data)) {
		var e events.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			b.Fatal(err)
		}
		e.SchemaVersion = 1
		p, err := reg.Decode(&e)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// verdictRecords returns n verdicts of world "bench", each as the two
// appends the service makes (the submission, then the seven events of the
// evaluation), at global positions 8i+1 … 8i+8.
func verdictRecords(b *testing.B, reg *events.Registry, n int) [][2][]events.Record {
	b.Helper()
	tmpl := verdictTemplate(b, reg)
	out := make([][2][]events.Record, n)
	for i := range out {
		sub := *tmpl[0].(*events.EvaluationRunSubmitted)
		sub.StrategyID, sub.RunID = fmt.Sprintf("s%03d", i%100), fmt.Sprintf("r%07d", i)
		stream := runStream(b, sub.WorldID, sub.StrategyID, sub.RunID)
		at := t0.Add(time.Duration(i) * time.Millisecond)
		payloads := append([]any{&sub}, tmpl[1:]...)
		for j, p := range payloads {
			key, idx := "submit:"+stream, 0
			if j > 0 {
				key, idx = "evaluate:"+stream, j-1
			}
			ev, err := reg.New(p, events.Meta{IdempotencyKey: key, Index: idx, OccurredAt: at, Actor: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			rec := events.Record{Event: ev, Stream: stream, StreamVersion: uint64(j + 1), GlobalPosition: uint64(8*i + j + 1), RecordedAt: at}
			if j > 0 {
				rec.RecordedAt = at.Add(time.Millisecond)
			}
			out[i][min(j, 1)] = append(out[i][min(j, 1)], rec)
		}
	}
	return out
}

// BenchmarkVerdict folds one verdict (8 events) into the read models a
// verdict changes — RunCurrent and RunHistory — each over its own
// MemoryStore, as the service runs them.
// "appends" commits the submission and the evaluation as one batch each;
// "events" commits every event on its own, as a subscription that is never
// behind does. Each pass of 256 verdicts starts from empty stores, so that
// the registry's decode cache (4096 payloads) holds every event, as it does
// in the service. cpu-µs/op is the process's CPU time per verdict (garbage
// collection included), steadier than ns/op on a shared machine.
func BenchmarkVerdict(b *testing.B) {
	reg := events.Catalogue()
	const pool = 256
	verdicts := verdictRecords(b, reg, pool)
	newSet := func() []projections.Projection {
		var ps []projections.Projection
		for _, name := range []string{projections.RunCurrentName, projections.RunHistoryName} {
			p, err := projections.New(name, projections.NewMemoryStore(), reg)
			if err != nil {
				b.Fatal(err)
			}
			ps = append(ps, p)
		}
		return ps
	}
	for _, mode := range []string{"appends", "events"} {
		b.Run(mode, func(b *testing.B) {
			var ps []projections.Projection
			b.ReportAllocs()
			i := 0
			cpu := processCPU(b)
			for b.Loop() {
				if i%pool == 0 {
					b.StopTimer()
					ps = newSet()
					b.StartTimer()
				}
				v := verdicts[i%pool]
				i++
				for _, p := range ps {
					for _, batch := range v {
						if mode == "appends" {
							if err := p.ApplyBatch(b.Context(), batch); err != nil {
								b.Fatal(err)
							}
							continue
						}
						for j := range batch {
							if err := p.ApplyBatch(b.Context(), batch[j:j+1]); err != nil {
								b.Fatal(err)
							}
						}
					}
				}
			}
			b.ReportMetric(float64((processCPU(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU returns the user and system CPU time of the process so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHeldVerdicts measures what the read models hold once a verdict is
// committed, which every garbage collection has to mark while the service
// runs: after folding four times as many verdicts (see BenchmarkVerdict) as
// a MemoryStore keeps values unpacked, so that most are packed, into fresh
// stores, the live heap, its objects and the part of it the collector scans
// for pointers, per verdict (runtime/metrics: exact, and independent of the
// machine's load), and the wall time of one full collection. "all" is every
// projection of [projections.Names], as the service runs them; the others are
// one projection alone.
func BenchmarkHeldVerdicts(b *testing.B) {
	const n = 4 * projections.DefaultHotValues
	verdicts := verdictRecords(b, events.Catalogue(), n)
	sets := [][]string{projections.Names()}
	for _, name := range projections.Names() {
		sets = append(sets, []string{name})
	}
	for _, names := range sets {
		label := "all"
		if len(names) == 1 {
			label = names[0]
		}
		b.Run(label, func(b *testing.B) {
			var before, after heldHeap
			var gcTime time.Duration
			for b.Loop() {
				before = readHeld()
				// A registry of its own, so that its decode cache holds
				// these verdicts' payloads, as the service's does.
				reg := events.Catalogue()
				var ps []projections.Projection
				for _, name := range names {
					p, err := projections.New(name, projections.NewMemoryStore(), reg)
					if err != nil {
						b.Fatal(err)
					}
					ps = append(ps, p)
				}
				for _, v := range verdicts {
					for _, p := range ps {
						for _, batch := range v {
							if err := p.ApplyBatch(b.Context(), batch); err != nil {
								b.Fatal(err)
							}
						}
					}
				}
				after = readHeld()
				start := time.Now()
				runtime.GC()
				gcTime = time.Since(start)
				runtime.KeepAlive(ps)
			}
			b.ReportMetric(float64(int64(after.live-before.live))/n, "live-B/verdict")
			b.ReportMetric(float64(int64(after.objects-before.objects))/n, "objects/verdict")
			b.ReportMetric(float64(int64(after.scan-before.scan))/n, "scan-B/verdict")
			b.ReportMetric(float64(gcTime.Nanoseconds())/n, "gc-ns/verdict")
		})
	}
}

// heldHeap is what the heap holds after a full collection.
type heldHeap struct{ live, objects, scan uint64 }

// readHeld collects twice (so that finalizers and the decode cache's
// evictions settle) and reads the heap's live bytes, objects and scannable
// bytes.
func readHeld() heldHeap {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/objects:objects"}, {Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	return heldHeap{s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()}
}
