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

// startWriteback asks the kernel to start writing f's dirty pages to the
// disk and returns without waiting for them (sync_file_range with
// SYNC_FILE_RANGE_WRITE). It makes nothing durable: it only spreads the
// writing of the pages over time, so that a later sync has little left to
// do.
func startWriteback(f *os.File) error {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE in <linux/fs.h>
	for {
		err := syscall.SyncFileRange(int(f.Fd()), 0, 0, syncFileRangeWrite)
		if err != syscall.EINTR {
			return err
		}
	}
}
