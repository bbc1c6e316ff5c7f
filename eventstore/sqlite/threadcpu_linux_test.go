package sqlite_test

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time (user and system) the calling thread has
// used; lock the goroutine to its thread first.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD, Linux only
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
