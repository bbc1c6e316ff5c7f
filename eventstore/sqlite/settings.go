package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// walCheckpointPages is how many pages (4 KiB each) the writer appends to
// the WAL between two background checkpoints (see walCheckpointer): about
// 50 ms of appends at 1,000 submissions/s.
const walCheckpointPages = 1000

// walRestartPages is the WAL length, in frames, past which the writer
// restarts the WAL itself (see writer.restartWAL): about 64 MiB.
const walRestartPages = 16000

// mmapBytes is how much of the database file the write connection maps into
// memory (see writerSettings).
const mmapBytes = 1 << 30

// pragma is one setting of a connection: the value the data source name sets
// and the value PRAGMA name reads back once it is in effect.
type pragma struct {
	name, set, read string
}

// settings are a connection's pragmas.
type settings []pragma

// writerSettings are the write connection's pragmas. The durability promise
// rests on the first three: WAL (persistent in the file), a commit is
// durable when it returns (FULL syncs the WAL on every commit), and foreign
// keys checked.
//
// secure_delete zeroes the space a b-tree rebalance frees, so the file holds
// exactly one copy of each event: an auditor who alters bytes in the file
// alters the stored event, never a stale leftover that verification cannot
// see.
//
// wal_autocheckpoint=0: the write connection never checkpoints after a
// commit, which held up every append queued behind it for the checkpoint's
// whole length (at 700 verdicts/s, one commit in 70 took over 20 ms, up to
// 111 ms). A [walCheckpointer] on a connection of its own copies the WAL
// into the file every walCheckpointPages pages instead, without blocking the
// writer, and has the kernel start writing those pages to the disk. Rarer
// checkpoints copy less per event (appends dirty the same index pages again
// and again, and a checkpoint copies each distinct page once), but they
// write the disk in bigger bursts, which the commits' syncs of the WAL then
// wait behind: at 1,000 submissions/s, a checkpoint every 1,000 pages gave
// a p99 latency of about 18 ms against about 30 ms with one every 4,000 (no
// garbage collection, to see the disk alone; BENCHMARKS.md), for some 7% more
// CPU per verdict (the hot index pages are copied more often).
//
// temp_store=MEMORY keeps the sub-journal of an append's SAVEPOINT (the
// original of every page the append changes, to undo it alone) in memory.
// With the default, an append of several events that changes more than 64
// KiB of existing pages spills the sub-journal to a temporary file, which is
// then created, written page by page and deleted in its group: about a sixth
// of the writer's CPU time in BenchmarkAppendVerdict. The sub-journal only ever undoes part of an open transaction; a
// crash is recovered from the WAL alone, so keeping it in memory costs no
// durability.
//
// mmap_size maps the database file into memory: SQLite then reads a page
// that is not in the connection's page cache straight from the mapping
// instead of with a pread system call and a copy. An append inserts into a
// random leaf of the event_id index, which a store of some size no longer
// holds in the page cache, so most appends read at least one page back
// (BenchmarkAppendVerdict, 100k events stored: 33 → 14 preads per verdict).
// SQLite only reads through the mapping; it still writes with pwrite and
// syncs as before, so durability is unchanged. The cost: a disk that fails a
// read of a mapped page kills the process (SIGBUS) where a pread would have
// returned an error.
//
// Left at SQLite's defaults on purpose:
//   - cache_size (2 MiB). When a b-tree page splits, SQLite briefly
//     renumbers a page to the pending-byte page (page 262,145 with 4 KiB
//     pages), and the commit after it then scans the whole page cache for
//     pages past the end of the file: the scan grows with the cache, and at
//     64 MiB it cost more than the reads it saved (BenchmarkAppendVerdict,
//     100k events stored: about +10% CPU). Misses are cheap through the
//     mapping anyway.
//   - journal_size_limit (none): the WAL file keeps its size after a
//     checkpoint and is overwritten in place; truncating it would make the
//     commits that grow it again sync the file's size too.
//   - page_size (4 KiB). 8 and 16 KiB pages pack the events tighter (35 →
//     21 → 12 pwrites per verdict on a fresh store) but measured no less
//     CPU: checksums, copies and rebalancing grow with the page; and a file
//     in WAL mode cannot change its page size.
func writerSettings(cfg config) settings {
	busy := strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10)
	return settings{
		{"journal_mode", "WAL", "wal"},
		{"synchronous", "FULL", "2"},
		{"foreign_keys", "1", "1"},
		{"busy_timeout", busy, busy},
		{"secure_delete", "1", "1"},
		{"wal_autocheckpoint", "0", "0"},
		{"temp_store", "MEMORY", "2"},
		mmapSetting(),
	}
}

// readerSettings are the read connections' pragmas: they cannot write, and
// they do not map the file (mmap_size=0), unlike the writer. A connection
// that begins a read transaction and finds that the WAL changed since its
// last one drops its whole mapping (SQLite's pagerBeginReadTransaction), and
// under load every read finds a change: it unmapped and mapped the file
// again and faulted in each page it touched, and a munmap of a populated
// mapping tears down page tables and interrupts the other CPUs to flush
// their TLBs. At 1,000 submissions/s the munmap calls alone were 2% of the
// process's CPU; reading with pread instead cut the CPU per verdict by 4-6%
// (bench ingest, BENCHMARKS.md). The writer keeps its mapping: only its own
// commits change what the file holds, so it never finds a change to drop
// the mapping for (no munmap of its shows in a CPU profile).
func readerSettings(cfg config) settings {
	busy := strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10)
	return settings{
		{"busy_timeout", busy, busy},
		{"query_only", "1", "1"},
		{"mmap_size", "0", "0"},
	}
}

// checkpointerSettings are the pragmas of the [walCheckpointer]'s
// connection. synchronous=FULL makes each checkpoint sync the database file
// before the WAL may start again from its beginning, as the writer's own
// checkpoints did.
func checkpointerSettings(cfg config) settings {
	busy := strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10)
	return settings{
		{"busy_timeout", busy, busy},
		{"synchronous", "FULL", "2"},
		{"wal_autocheckpoint", "0", "0"},
	}
}

func mmapSetting() pragma {
	n := strconv.Itoa(mmapBytes)
	return pragma{"mmap_size", n, n}
}

// dsn returns the settings as modernc.org/sqlite _pragma values.
func (ss settings) dsn() []string {
	out := make([]string, len(ss))
	for i, p := range ss {
		out[i] = p.name + "(" + p.set + ")"
	}
	return out
}

// check verifies that every setting is in effect on conn: SQLite can
// silently keep another journal mode (on a file system without shared
// memory, for one).
func (ss settings) check(ctx context.Context, conn *sql.Conn) error {
	for _, p := range ss {
		var got string
		if err := conn.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
			return fmt.Errorf("read PRAGMA %s: %w", p.name, err)
		}
		if !strings.EqualFold(got, p.read) {
			return fmt.Errorf("PRAGMA %s is %q, want %q", p.name, got, p.read)
		}
	}
	return nil
}
