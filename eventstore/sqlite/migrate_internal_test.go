package sqlite

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// v1File writes a store file at schema version 1, as a build before schema
// version 2 left it, holding records: sealed events of several streams whose
// appends interleave, inserted with the version 1 columns. It returns the
// records as the store must read them back.
func v1File(t *testing.T, path string, streams, perStream int, seed uint64) []events.Record {
	t.Helper()
	if err := registerWALVFS(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, "journal_mode(WAL)", "foreign_keys(1)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(schemaV1 + `
CREATE TABLE meta (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('schema_version', '1');`); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	type head struct {
		version uint64
		hash    string
	}
	heads := make([]head, streams)
	for i := range heads {
		heads[i].hash = events.GenesisHash
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var recs []events.Record
	for left := streams * perStream; left > 0; left-- {
		// A random stream that still has events to take.
		i := rng.IntN(streams)
		for heads[i].version == uint64(perStream) {
			i = (i + 1) % streams
		}
		h := &heads[i]
		key := fmt.Sprintf("cmd-%d-%d", i, h.version)
		r := events.Record{
			Event: events.Event{
				ID: events.IDFromKey(key), Type: "Thing", SchemaVersion: 1, OccurredAt: at,
				Actor: "tester", CorrelationID: "c", CausationID: "d", IdempotencyKey: key,
				Payload: []byte(fmt.Sprintf(`{"stream":%d,"n":%d}`, i, h.version)),
			},
			// Names out of creation order, so that the new ids (by first
			// appearance) differ from the names' order.
			Stream:         fmt.Sprintf("things/%03d", streams-i),
			StreamVersion:  h.version + 1,
			GlobalPosition: uint64(len(recs) + 1),
			RecordedAt:     at,
		}
		r.Seal(h.hash)
		h.version, h.hash = r.StreamVersion, r.Hash
		at = at.Add(time.Second)
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO events (event_id, stream, version, type, schema_version, occurred_at, recorded_at,
	actor, correlation_id, causation_id, idempotency_key, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Stream, int64(r.StreamVersion), r.Type, r.SchemaVersion, events.FormatTime(r.OccurredAt), events.FormatTime(r.RecordedAt),
			r.Actor, r.CorrelationID, r.CausationID, r.IdempotencyKey, []byte(r.Payload), r.PrevHash, r.Hash); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO streams (stream, version, head_hash) VALUES (?, ?, ?)
ON CONFLICT (stream) DO UPDATE SET version = excluded.version, head_hash = excluded.head_hash`, r.Stream, int64(r.StreamVersion), r.Hash); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs
}

// TestMigrateFromV1 opens a version 1 file with interleaved streams and
// checks that every event reads back as it was stored, by position and by
// stream, that the hash chains and heads still check, that stream ids follow
// the streams' first appearance, and that appends carry on where the file
// left off.
func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	want := v1File(t, path, 9, 7, 42)
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open a version 1 file: %v", err)
	}
	defer s.Close()

	if from, ok := s.Migrated(); !ok || from != 1 {
		t.Fatalf("Migrated() = %d, %v after opening a version 1 file, want 1, true", from, ok)
	}
	if n := len(migrations()); n != SchemaVersion {
		t.Fatalf("%d migration steps, but SchemaVersion is %d", n, SchemaVersion)
	}

	got, err := s.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	same := func(a, b events.Record) bool {
		return a.ID == b.ID && a.Stream == b.Stream && a.StreamVersion == b.StreamVersion && a.GlobalPosition == b.GlobalPosition &&
			a.Type == b.Type && string(a.Payload) == string(b.Payload) && a.PrevHash == b.PrevHash && a.Hash == b.Hash &&
			a.OccurredAt.Equal(b.OccurredAt) && a.RecordedAt.Equal(b.RecordedAt) && a.IdempotencyKey == b.IdempotencyKey
	}
	if !slices.EqualFunc(got, want, same) {
		t.Fatalf("ReadAll after the migration gave %d records, not the %d stored (first: %+v)", len(got), len(want), got[0])
	}
	byStream := map[string][]events.Record{}
	var order []string
	chains := events.NewChainVerifier()
	for i := range got {
		r := got[i]
		if byStream[r.Stream] == nil {
			order = append(order, r.Stream)
		}
		byStream[r.Stream] = append(byStream[r.Stream], r)
		if err := chains.Verify(&r); err != nil {
			t.Fatalf("hash chains after the migration: %v", err)
		}
	}
	for stream, recs := range byStream {
		got, err := s.ReadStream(t.Context(), stream, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, recs, same) {
			t.Fatalf("ReadStream(%s) after the migration differs from what was stored", stream)
		}
	}
	if err := s.IntegrityCheck(t.Context()); err != nil {
		t.Fatalf("integrity check after the migration: %v", err)
	}

	conn := s.writer.conn
	var version string
	if err := conn.QueryRowContext(t.Context(), "SELECT value FROM meta WHERE key = 'schema_version'").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != "2" {
		t.Fatalf("schema version %s after the migration, want 2", version)
	}
	for i, stream := range order {
		var id int64
		if err := conn.QueryRowContext(t.Context(), "SELECT id FROM streams WHERE stream = ?", stream).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if id != int64(i+1) {
			t.Errorf("stream %s, the %d-th to appear, has id %d", stream, i+1, id)
		}
	}

	// Appends carry on: the next position, the stream's next version on its
	// chain, and a new stream with the next id.
	old := want[len(want)-1]
	ev := events.Event{ID: events.IDFromKey("after"), Type: "Thing", SchemaVersion: 1, IdempotencyKey: "after", Payload: []byte(`{}`)}
	res, err := s.Append(t.Context(), old.Stream, eventstore.Exact(old.StreamVersion), ev)
	if err != nil {
		t.Fatalf("append to a migrated stream: %v", err)
	}
	if res.Position != old.GlobalPosition+1 || res.StreamVersion != old.StreamVersion+1 {
		t.Fatalf("append to a migrated stream: %+v, want position %d and version %d", res, old.GlobalPosition+1, old.StreamVersion+1)
	}
	ev2 := events.Event{ID: events.IDFromKey("new"), Type: "Thing", SchemaVersion: 1, IdempotencyKey: "new", Payload: []byte(`{}`)}
	if _, err := s.Append(t.Context(), "things/new", eventstore.NoStream{}, ev2); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := conn.QueryRowContext(t.Context(), "SELECT id FROM streams WHERE stream = 'things/new'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != int64(len(order)+1) {
		t.Fatalf("a new stream after the migration has id %d, want %d", id, len(order)+1)
	}
	// A retried append is still recognised across the migration.
	dup, err := s.Append(t.Context(), want[0].Stream, eventstore.Any{}, want[0].Event)
	if err != nil || !dup.Duplicate || dup.Position != 1 {
		t.Fatalf("retry of the first stored event: %+v, %v; want a duplicate at position 1", dup, err)
	}
	chain, err := s.ReadStream(t.Context(), old.Stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := chain[len(chain)-1]; last.PrevHash != old.Hash {
		t.Fatalf("the appended event's previous hash is %s, want the migrated head %s", last.PrevHash, old.Hash)
	}
	if err := s.IntegrityCheck(t.Context()); err != nil {
		t.Fatalf("integrity check after appends: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	openUnmigrated(t, path, "reopening a migrated file")
}

// TestNewFileIsNotMigrated checks that a new store reports no migration.
func TestNewFileIsNotMigrated(t *testing.T) {
	openUnmigrated(t, filepath.Join(t.TempDir(), "events.db"), "a new file")
}

// openUnmigrated opens the store at path and fails the test unless it
// reports no migration; what names the case in the failure.
func openUnmigrated(t *testing.T, path, what string) {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if from, ok := s.Migrated(); ok {
		t.Fatalf("%s: Migrated() reports a migration from version %d", what, from)
	}
}

// TestMigrateFromV1RefusesAnOrphanEvent checks that a version 1 file whose
// event names a stream with no head row (which the foreign key never let in;
// written here with the check off) fails to open, and is left at version 1
// with every event, rather than migrated without it.
func TestMigrateFromV1RefusesAnOrphanEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	want := v1File(t, path, 3, 2, 7)
	db, err := sql.Open("sqlite", dsn(path, "foreign_keys(0)"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM streams WHERE stream = ?", want[0].Stream); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatal("migrated a file with an event of no stream")
	}
	if !strings.Contains(err.Error(), "to schema version 2") || !strings.Contains(err.Error(), "stream_id") {
		t.Fatalf("open: %v, want the step to schema version 2 failing on stream_id", err)
	}
	db, err = sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version string
	var n int
	if err := db.QueryRow("SELECT value FROM meta WHERE key = 'schema_version'").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM events WHERE stream IS NOT NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if version != "1" || n != len(want) {
		t.Fatalf("after the failed migration: schema version %s with %d events, want 1 with %d", version, n, len(want))
	}
}
