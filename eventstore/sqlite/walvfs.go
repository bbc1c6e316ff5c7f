package sqlite

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"modernc.org/libc"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The WAL write buffer.
//
// SQLite writes a commit's pages to the WAL one frame at a time, and each
// frame with two write calls: its 24-byte header, then the page. A group
// commit of sixteen single-event appends to new streams dirtied about 42
// pages under schema version 1 (two index leaves per event: one by event id,
// one by stream name; see schemaV2 for what is left of the second), so it
// made 84 pwrite calls before its fsync, and on this class of virtual
// machine a pwrite costs about 3 µs of CPU whatever its size: a third of the
// writer's time went into system calls.
//
// walVFS is SQLite's own default VFS with one change: the file it opens for a
// WAL gathers contiguous writes in a buffer and passes them on in one write
// call (or a few, see walMaxWrite) when anything else happens to the file — a sync, a read, a size
// query, a truncation, a file control, a write elsewhere, a full buffer, the
// close. A commit of sixteen appends thus reaches the file in two pwrite calls
// followed by its fsync.
//
// Nothing about durability or visibility changes:
//   - The store runs with synchronous=FULL (see writerSettings), so SQLite
//     syncs the WAL at every commit, before it publishes the commit in the
//     wal-index (the shared memory other connections read): by then the
//     buffer is on its way to the disk, flushed by the sync itself.
//   - A connection that reads frames back (its own spilled pages, a
//     checkpoint on the writer's connection) reads after a flush.
//   - Bytes still in the buffer at a crash belong to a commit that was not
//     synced, hence never acknowledged; SQLite ignores a torn tail of the WAL
//     by its frame checksums, as it would after any crash mid-write.
//   - The file format is SQLite's own: any SQLite opens the file.
//
// The buffer is per open WAL file, allocated at its first write (readers
// never write, so they never allocate one) and freed at its close.

// walVFSName is the name the VFS is registered under.
const walVFSName = "worldval-wal"

// walBufferBytes bounds a WAL file's buffer: 254 frames of 4 KiB pages,
// which reach the file in eight calls (see walMaxWrite). A transaction larger
// than that is written a buffer at a time.
const walBufferBytes = 1 << 20

// registerWALVFS registers walVFS with SQLite, once per process: SQLite's
// VFS registry is process-wide, and the VFS, which holds no state of its own,
// stays registered until the process ends.
var registerWALVFS = sync.OnceValue(func() error {
	tls := libc.NewTLS()
	defer tls.Close()
	base := sqlite3.Xsqlite3_vfs_find(tls, 0)
	if base == 0 {
		return errors.New("register the WAL VFS: SQLite has no default VFS")
	}
	name, err := libc.CString(walVFSName)
	if err != nil {
		return fmt.Errorf("register the WAL VFS: %w", err)
	}
	// The VFS and, right after it, the address of the VFS it wraps.
	p := sqlite3.Xsqlite3_malloc64(tls, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})+unsafe.Sizeof(uintptr(0))))
	if p == 0 {
		return errors.New("register the WAL VFS: out of memory")
	}
	vfs := (*sqlite3.Tsqlite3_vfs)(cptr(p))
	*vfs = *(*sqlite3.Tsqlite3_vfs)(cptr(base))
	vfs.FzName = name
	vfs.FpNext = 0
	*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&vfs.FxOpen)) = walVFSOpen
	*(*uintptr)(cptr(p + unsafe.Sizeof(sqlite3.Tsqlite3_vfs{}))) = base
	if rc := sqlite3.Xsqlite3_vfs_register(tls, p, 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("register the WAL VFS: SQLite error %d", rc)
	}
	// Commit with fdatasync(2), as SQLite's own Linux builds do: it makes
	// the data durable as fsync(2) does, without forcing the file's
	// timestamps through the file system's journal at every commit. Where
	// it is unavailable SQLite keeps fsync.
	_, _ = sqlite.Fdatasync(true)
	return nil
})

// cptr turns the address of memory SQLite allocated (outside the Go heap, so
// never moved or collected) into a pointer.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// walFile is the state of one WAL file opened through walVFS. It lives in
// memory SQLite allocated, right after the file's own method table (so each
// method finds it from the file's pMethods).
type walFile struct {
	base uintptr // the method table the default VFS gave the file
	buf  uintptr // walBufferBytes, allocated at the first write
	off  int64   // file offset of the buffer's first byte
	n    int64   // bytes held
}

// walMethodsSize is the size of a method table.
const walMethodsSize = unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})

// walFileOf returns the state of the WAL file pFile.
func walFileOf(pFile uintptr) *walFile {
	return (*walFile)(cptr((*sqlite3.Tsqlite3_file)(cptr(pFile)).FpMethods + walMethodsSize))
}

// baseMethods returns the default VFS's method table of the file.
func (f *walFile) baseMethods() *sqlite3.Tsqlite3_io_methods {
	return (*sqlite3.Tsqlite3_io_methods)(cptr(f.base))
}

// walVFSOpen opens a file as the default VFS does (it is handed walVFS, a
// copy of the default VFS, so the default VFS finds its own settings in it)
// and, when the file is a WAL, gives it the buffering method table.
func walVFSOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	base := (*sqlite3.Tsqlite3_vfs)(cptr(*(*uintptr)(cptr(pVfs + unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))))
	rc := (*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&base.FxOpen)))(tls, pVfs, zName, pFile, flags, pOutFlags)
	if rc != sqlite3.SQLITE_OK || flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return rc
	}
	file := (*sqlite3.Tsqlite3_file)(cptr(pFile))
	if file.FpMethods == 0 {
		return rc
	}
	p := sqlite3.Xsqlite3_malloc64(tls, uint64(walMethodsSize+unsafe.Sizeof(walFile{})))
	if p == 0 {
		return rc // the file works unbuffered
	}
	m := (*sqlite3.Tsqlite3_io_methods)(cptr(p))
	*m = *(*sqlite3.Tsqlite3_io_methods)(cptr(file.FpMethods))
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxClose)) = walClose
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxRead)) = walRead
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxWrite)) = walWrite
	*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&m.FxTruncate)) = walTruncate
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxSync)) = walSync
	*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxFileSize)) = walFileSize
	*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&m.FxFileControl)) = walFileControl
	*(*walFile)(cptr(p + walMethodsSize)) = walFile{base: file.FpMethods}
	file.FpMethods = p
	return rc
}

// walMaxWrite is the most the default VFS writes in one call: it keeps only
// the low 17 bits of a write's length (SQLite never writes more than a page
// and a frame header at once), so the buffer is passed on in pieces no
// larger than this.
const walMaxWrite = 0x1ffff

// flush writes what the buffer holds with as few calls of the default VFS's
// write as it allows (see walMaxWrite). The buffer is emptied whatever the
// outcome: after a failed write SQLite abandons the transaction whose frames
// it held.
func (f *walFile) flush(tls *libc.TLS, pFile uintptr) int32 {
	n := f.n
	f.n = 0
	write := *(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&f.baseMethods().FxWrite))
	for done := int64(0); done < n; done += walMaxWrite {
		if rc := write(tls, pFile, f.buf+uintptr(done), int32(min(n-done, walMaxWrite)), f.off+done); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	return sqlite3.SQLITE_OK
}

func walWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := walFileOf(pFile)
	if f.n > 0 && (iOfst != f.off+f.n || f.n+int64(iAmt) > walBufferBytes) {
		if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if f.buf == 0 && int64(iAmt) <= walBufferBytes {
		f.buf = sqlite3.Xsqlite3_malloc64(tls, walBufferBytes)
	}
	if f.buf == 0 || int64(iAmt) > walBufferBytes {
		return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&f.baseMethods().FxWrite)))(tls, pFile, zBuf, iAmt, iOfst)
	}
	if f.n == 0 {
		f.off = iOfst
	}
	copy(unsafe.Slice((*byte)(cptr(f.buf+uintptr(f.n))), iAmt), unsafe.Slice((*byte)(cptr(zBuf)), iAmt))
	f.n += int64(iAmt)
	return sqlite3.SQLITE_OK
}

func walRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&f.baseMethods().FxRead)))(tls, pFile, zBuf, iAmt, iOfst)
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&f.baseMethods().FxTruncate)))(tls, pFile, size)
}

func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&f.baseMethods().FxSync)))(tls, pFile, flags)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&f.baseMethods().FxFileSize)))(tls, pFile, pSize)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	f := walFileOf(pFile)
	if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&f.baseMethods().FxFileControl)))(tls, pFile, op, pArg)
}

// walClose flushes the buffer, closes the file as the default VFS does and
// frees the buffer and the method table (with the state after it).
func walClose(tls *libc.TLS, pFile uintptr) int32 {
	file := (*sqlite3.Tsqlite3_file)(cptr(pFile))
	own := file.FpMethods
	f := walFileOf(pFile)
	rc := f.flush(tls, pFile)
	if crc := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&f.baseMethods().FxClose)))(tls, pFile); rc == sqlite3.SQLITE_OK {
		rc = crc
	}
	if f.buf != 0 {
		sqlite3.Xsqlite3_free(tls, f.buf)
	}
	sqlite3.Xsqlite3_free(tls, own)
	return rc
}
