package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// The runtime metrics the ingest benchmark reads of the garbage collector.
// The CPU figures are the runtime's own estimates.
const (
	gcCyclesMetric    = "/gc/cycles/total:gc-cycles"
	gcCPUMetric       = "/cpu/classes/gc/total:cpu-seconds"
	gcAssistCPUMetric = "/cpu/classes/gc/mark/assist:cpu-seconds"
	gcLiveHeapMetric  = "/gc/heap/live:bytes"
)

// gcSnapshot is what the runtime reports of its garbage collector at one
// instant: cycles completed, the CPU it spent (all of it, and the part
// goroutines spent assisting the marking instead of running) and the heap
// the last cycle found live.
type gcSnapshot struct {
	cycles      uint64
	cpu, assist time.Duration
	liveHeap    uint64
	haveAll     bool
}

// readGC takes a snapshot. A metric the runtime does not have reads as zero
// (and haveAll is false).
func readGC() gcSnapshot {
	s := []metrics.Sample{{Name: gcCyclesMetric}, {Name: gcCPUMetric}, {Name: gcAssistCPUMetric}, {Name: gcLiveHeapMetric}}
	metrics.Read(s)
	var g gcSnapshot
	g.haveAll = true
	for _, x := range s {
		switch x.Value.Kind() {
		case metrics.KindUint64:
			v := x.Value.Uint64()
			if x.Name == gcCyclesMetric {
				g.cycles = v
			} else {
				g.liveHeap = v
			}
		case metrics.KindFloat64:
			d := time.Duration(x.Value.Float64() * float64(time.Second))
			if x.Name == gcCPUMetric {
				g.cpu = d
			} else {
				g.assist = d
			}
		default:
			g.haveAll = false
		}
	}
	return g
}

// since returns the cycles and CPU between before and g, with g's live heap.
func (g gcSnapshot) since(before gcSnapshot) gcSnapshot {
	return gcSnapshot{
		cycles:   g.cycles - before.cycles,
		cpu:      g.cpu - before.cpu,
		assist:   g.assist - before.assist,
		liveHeap: g.liveHeap,
		haveAll:  g.haveAll && before.haveAll,
	}
}

// describe renders the snapshot (a difference from since) against the
// process CPU of the same interval.
func (g gcSnapshot) describe(processCPU time.Duration) string {
	if !g.haveAll {
		return "(the runtime does not report it)"
	}
	share := 0.0
	if processCPU > 0 {
		share = 100 * g.cpu.Seconds() / processCPU.Seconds()
	}
	live := "no collection has measured the live heap"
	if g.liveHeap > 0 {
		live = fmt.Sprintf("live heap %.0f MiB at the end", float64(g.liveHeap)/(1<<20))
	}
	return fmt.Sprintf("%d cycles, %.2fs CPU (%.0f%% of the process's; %.2fs of it in assists, taken from the goroutines that allocated), %s",
		g.cycles, g.cpu.Seconds(), share, g.assist.Seconds(), live)
}

// gcWatch notes the instant each garbage collection cycle ends, by polling
// the runtime's cycle count every millisecond (the runtime offers no
// notification), so that a timeline can put the cycles beside the
// latencies. It is safe for concurrent use.
type gcWatch struct {
	mu   sync.Mutex
	ends []time.Time
}

// run polls until ctx ends.
func (w *gcWatch) run(ctx context.Context) {
	s := []metrics.Sample{{Name: gcCyclesMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	last := s[0].Value.Uint64()
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v != last {
				last = v
				w.mu.Lock()
				w.ends = append(w.ends, now)
				w.mu.Unlock()
			}
		}
	}
}

// cycleEnds returns the instants noted so far.
func (w *gcWatch) cycleEnds() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Time(nil), w.ends...)
}

// The runtime metrics of what the heap holds, read after a collection.
const (
	heapObjectsMetric = "/gc/heap/objects:objects"
	heapScannedMetric = "/gc/scan/heap:bytes"
)

// heldHeap is what the process holds once the load is over: the objects
// and bytes a collection marks, which the collector's mark phases cost in
// proportion to, and the CPU one full collection of it took.
type heldHeap struct {
	objects, scannable, live uint64
	markCPU                  time.Duration
	haveAll                  bool
}

// measureHeld runs two full collections, the first to free the load's
// garbage, and reads what the second found and the CPU it took. The second
// collection runs on an idle process, so its CPU is the mark and sweep work
// of the held heap alone.
func measureHeld() heldHeap {
	runtime.GC()
	before := readGC()
	runtime.GC()
	after := readGC()
	s := []metrics.Sample{{Name: heapObjectsMetric}, {Name: heapScannedMetric}}
	metrics.Read(s)
	h := heldHeap{live: after.liveHeap, markCPU: after.cpu - before.cpu, haveAll: before.haveAll && after.haveAll}
	for i, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			h.haveAll = false
			continue
		}
		if i == 0 {
			h.objects = x.Value.Uint64()
		} else {
			h.scannable = x.Value.Uint64()
		}
	}
	return h
}

// String renders the measure for the benchmark's report.
func (h heldHeap) String() string {
	if !h.haveAll {
		return "(the runtime does not report it)"
	}
	return fmt.Sprintf("%d objects, %.0f MiB live, %.1f MiB of it scannable; a full collection of it took %.0f ms of CPU",
		h.objects, float64(h.live)/(1<<20), float64(h.scannable)/(1<<20), float64(h.markCPU)/float64(time.Millisecond))
}
