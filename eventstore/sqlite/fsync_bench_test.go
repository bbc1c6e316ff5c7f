//go:build linux

package sqlite_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkFsync measures the latency of making one small write durable on
// the file system of the test's temp directory, which bounds any durable
// commit: fdatasync (data and size) and fsync (also timestamps). An op is one
// 4 KiB write plus one sync.
func BenchmarkFsync(b *testing.B) {
	for _, tc := range []struct {
		name string
		sync func(*os.File) error
	}{
		{"fdatasync", func(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }},
		{"fsync", (*os.File).Sync},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "sync.dat"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			page := make([]byte, 4096)
			// Preallocate, as a WAL that is being reused is.
			for i := range 64 {
				if _, err := f.WriteAt(page, int64(i)*4096); err != nil {
					b.Fatal(err)
				}
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				page[0] = byte(i)
				if _, err := f.WriteAt(page, int64(i%64)*4096); err != nil {
					b.Fatal(err)
				}
				if err := tc.sync(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
