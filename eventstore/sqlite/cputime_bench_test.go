//go:build unix

package sqlite_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per event since start: unlike
// events/s, it hardly depends on what else the machine is doing.
func reportCPU(b *testing.B, start time.Duration, events int) {
	b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/float64(events), "cpu-µs/event")
}
