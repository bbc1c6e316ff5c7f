package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/worldval/worldval/validation/policydiff"
)

// diffProgressEvery is the least time between two progress lines of one phase.
const diffProgressEvery = time.Second

// diffProgress prints how far a long command has come on standard error: one
// line when a phase starts, at most one a second while it runs, and one when
// it ends. A quiet progress prints nothing. It is used from one goroutine.
type diffProgress struct {
	w     io.Writer
	quiet bool
	start time.Time
	last  time.Time
}

func newDiffProgress(w io.Writer, quiet bool) *diffProgress {
	now := time.Now()
	return &diffProgress{w: w, quiet: quiet, start: now, last: now}
}

// step reports done of total units of phase (total 0: unknown); it prints
// at the start and the end and at most once a second in between.
func (p *diffProgress) step(phase string, done, total int) {
	if p.quiet {
		return
	}
	now := time.Now()
	if done != 0 && done != total && now.Sub(p.last) < diffProgressEvery {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start).Round(10 * time.Millisecond)
	if total > 0 {
		fmt.Fprintf(p.w, "policy diff: %s %d/%d (%.0f%%) after %s\n", phase, done, total, 100*float64(done)/float64(total), elapsed)
	} else {
		fmt.Fprintf(p.w, "policy diff: %s %d after %s\n", phase, done, elapsed)
	}
}

// phase adapts [policydiff.Progress] reports.
func (p *diffProgress) phase(pr policydiff.Progress) {
	names := map[string]string{"flatten": "flattened", "evaluate": "evaluated under both policies", "compare": "compared"}
	name := names[pr.Phase]
	if name == "" {
		name = pr.Phase
	}
	p.step(name, pr.Done, pr.Total)
}

// done prints the closing line.
func (p *diffProgress) done(msg string) {
	if !p.quiet {
		fmt.Fprintf(p.w, "policy diff: done: %s\n", msg)
	}
}

// follow prints the progress of a phase counted by done, once a second,
// until finished is closed, and then its final count.
func (p *diffProgress) follow(finished <-chan struct{}, phase string, done *atomic.Int64, total int) {
	t := time.NewTicker(diffProgressEvery)
	defer t.Stop()
	for {
		select {
		case <-finished:
			p.step(phase, int(done.Load()), total)
			return
		case <-t.C:
			p.step(phase, int(done.Load()), total)
		}
	}
}
