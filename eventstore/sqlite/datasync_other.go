//go:build !linux

package sqlite

import "os"

// datasync flushes f's data to the disk.
func datasync(f *os.File) error { return f.Sync() }

// startWriteback does nothing where Linux's sync_file_range is not
// available: the pages are written by the sync before a WAL restart.
func startWriteback(*os.File) error { return nil }
