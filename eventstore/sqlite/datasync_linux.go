package sqlite

import (
	"os"
	"syscall"
)

// datasync flushes f's data to the disk, as SQLite's own syncs do on Linux
// (fdatasync: the file's size when it changed, not its times).
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
