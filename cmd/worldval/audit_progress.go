package main

import (
	"fmt"
	"io"
	"time"
)

// auditProgressEvery is the least time between two progress lines of the
// audit history commands.
const auditProgressEvery = 2 * time.Second

// auditProgress prints a line on w at most every [auditProgressEvery] while
// long work runs, and nothing for work that finishes sooner. It is used from
// one goroutine.
type auditProgress struct {
	w      io.Writer
	prefix string
	last   time.Time
}

func newAuditProgress(w io.Writer, prefix string) *auditProgress {
	return &auditProgress{w: w, prefix: prefix, last: time.Now()}
}

// report prints the formatted line when the last one is old enough; line
// is only called then.
func (p *auditProgress) report(line func() string) {
	if now := time.Now(); now.Sub(p.last) >= auditProgressEvery {
		p.last = now
		fmt.Fprintf(p.w, "%s: %s\n", p.prefix, line())
	}
}
