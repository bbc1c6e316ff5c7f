//go:build linux

package sqlite_test

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// writeCalls returns the number of write system calls the process has made
// (the syscw line of /proc/self/io).
func writeCalls(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "syscw: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no syscw in /proc/self/io: %v", sc.Err())
	return 0
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// payloadOf returns a JSON payload of about n bytes, distinct per key.
func payloadOf(key string, n int) []byte {
	return fmt.Appendf(nil, `{"key":%q,"fill":%q}`, key, strings.Repeat("x", n))
}

// TestWALWritesGathered commits an append that adds dozens of frames to the
// WAL and counts the process's write system calls meanwhile: SQLite alone
// makes two per frame (header, then page); through the WAL VFS the commit's
// frames reach the file in far fewer calls.
func TestWALWritesGathered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s := open(t, path)
	mustAppend(t, s, "warm", ev("warm/0"))
	evs := make([]events.Event, 16)
	for i := range evs {
		key := fmt.Sprintf("gathered/%d", i)
		evs[i] = events.Event{ID: events.IDFromKey(key), Type: "T", SchemaVersion: 1, IdempotencyKey: key, Payload: payloadOf(key, 3000)}
	}
	wal := path + "-wal"
	before, calls := fileSize(t, wal), writeCalls(t)
	if _, err := s.Append(t.Context(), "gathered", eventstore.NoStream{}, evs...); err != nil {
		t.Fatal(err)
	}
	calls = writeCalls(t) - calls
	frames := (fileSize(t, wal) - before) / (4096 + 24)
	if frames < 16 {
		t.Fatalf("the append added %d frames to the WAL, want at least 16 for the test to mean anything", frames)
	}
	if int64(calls) > frames/4 {
		t.Fatalf("%d write calls for %d WAL frames, want at most %d", calls, frames, frames/4)
	}
}

// TestWALVFSFileIsPlainSQLite writes transactions larger than the WAL
// buffer (events near the 1 MiB limit) and small ones through the store,
// closes it, and opens the file with SQLite's default VFS: the file passes
// SQLite's integrity check and holds every payload byte for byte. Reopened
// as a store, it verifies.
func TestWALVFSFileIsPlainSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s := open(t, path)
	want := map[string][]byte{}
	for i := range 4 {
		var evs []events.Event
		for k := range 3 {
			key := fmt.Sprintf("big/%d/%d", i, k)
			size := 900 << 10
			if k > 0 {
				size = 100 * (i + 1)
			}
			e := events.Event{ID: events.IDFromKey(key), Type: "T", SchemaVersion: 1, IdempotencyKey: key, Payload: payloadOf(key, size)}
			want[e.ID] = e.Payload
			evs = append(evs, e)
		}
		mustAppend(t, s, fmt.Sprintf("big/%d", i%2), evs...)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(t.Context(), "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check: %q, %v", check, err)
	}
	rows, err := db.QueryContext(t.Context(), "SELECT event_id, payload FROM events")
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for rows.Next() {
		var id string
		var payload []byte
		if err := rows.Scan(&id, &payload); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(payload, want[id]) {
			t.Fatalf("event %s: %d bytes read back, %d written", id, len(payload), len(want[id]))
		}
		got++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got != len(want) {
		t.Fatalf("%d events read back, %d written", got, len(want))
	}
	db.Close()
	again := open(t, path)
	if err := again.IntegrityCheck(t.Context()); err != nil {
		t.Fatal(err)
	}
}
