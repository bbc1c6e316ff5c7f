// Package sqlite is the embedded [eventstore.Store] and [eventstore.Checkpoints]
// backend: one SQLite database file, written through the pure-Go
// modernc.org/sqlite driver.
//
// The file runs in WAL mode with synchronous=FULL, so an append is durable
// when Append returns. Connections read the file through a memory mapping
// (its first GiB): a disk that fails such a read kills the process with
// SIGBUS instead of failing the call with an error. Every write goes through one writer goroutine that owns
// the only write connection and commits concurrent appends together (group
// commit): appends that arrive while a commit is in progress share the next
// transaction and its single sync (fdatasync), and each caller learns its own
// outcome. The small appends of a group share their INSERT statements (see
// stage.go). One append's failure (a wrong expected version, a duplicate event
// id) undoes only that append: up to 16 events are written by one INSERT
// statement, atomic by itself, a group's staged appends are applied again one
// by one when their shared statement fails, and a longer append runs inside
// its own SAVEPOINT. Reads use a separate pool of read-only connections, which
// WAL lets run concurrently with the writer.
//
// The file is opened through a VFS of the store's own (walvfs.go): SQLite's
// default one, except that a WAL file gathers a commit's frames and writes
// them in a few calls at the commit's sync instead of two calls per page. The
// file stays a plain SQLite database.
//
// Subscribers are woken by an in-process broadcast after each commit, and
// those that keep up take the new records from an in-memory tail of recent
// commits instead of each reading them from the file. Appends made by another
// process writing the same file are stored correctly but do not reach this
// process's subscribers until its own next commit; run one writing process
// per file.
//
// Tests of other packages open a throwaway store with the sqlitetest
// sub-package.
package sqlite
