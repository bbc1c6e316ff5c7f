//go:build !linux

package sqlite_test

import "time"

// threadCPU reports -1: only Linux tells a thread's CPU time.
func threadCPU() time.Duration { return -1 }
