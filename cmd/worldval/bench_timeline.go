package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"
)

// timelineRow is one line of a --timeline file.
type timelineRow struct {
	event   string        // "verdict" or "gc_end"
	at      time.Duration // since the first submission was due
	latency time.Duration // due → visible; verdicts only
}

// writeTimeline writes the benchmark's timeline as CSV: one row per verdict
// (the instant its submission was due, and its due → visible latency) and one
// per garbage collection cycle that ended, in time order, each instant in
// milliseconds since the first submission was due. It is what shows whether
// the slow verdicts come in bursts and what they sit beside.
func writeTimeline(w io.Writer, start time.Time, verdicts []verdictPoint, gcEnds []time.Time) error {
	rows := make([]timelineRow, 0, len(verdicts)+len(gcEnds))
	for _, v := range verdicts {
		rows = append(rows, timelineRow{event: "verdict", at: v.due.Sub(start), latency: v.visible.Sub(v.due)})
	}
	for _, e := range gcEnds {
		rows = append(rows, timelineRow{event: "gc_end", at: e.Sub(start)})
	}
	slices.SortStableFunc(rows, func(a, b timelineRow) int { return cmp.Compare(a.at, b.at) })
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "event,at_ms,latency_ms")
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, r := range rows {
		if r.event == "verdict" {
			fmt.Fprintf(bw, "%s,%.3f,%.3f\n", r.event, ms(r.at), ms(r.latency))
		} else {
			fmt.Fprintf(bw, "%s,%.3f,\n", r.event, ms(r.at))
		}
	}
	return bw.Flush()
}
