package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/eventstore/storetest"
)

// benchDir holds files that benchmarks share within one run of the test
// binary (see prefilledStore).
var benchDir string

func TestMain(m *testing.M) {
	storetest.CrashChildMain(harness())
	var err error
	if benchDir, err = os.MkdirTemp("", "sqlite-bench-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(benchDir)
	os.Exit(code)
}

func harness() storetest.Harness {
	return storetest.Harness{
		NewLocation: func(t testing.TB) string {
			// A nested path: Open must create the directories.
			return filepath.Join(t.TempDir(), "data", "store", "events.db")
		},
		Open: func(ctx context.Context, location string, cfg storetest.Config) (eventstore.Store, error) {
			var opts []sqlite.Option
			if cfg.Registry != nil {
				opts = append(opts, sqlite.WithRegistry(cfg.Registry))
			}
			if cfg.Clock != nil {
				opts = append(opts, sqlite.WithClock(cfg.Clock))
			}
			s, err := sqlite.Open(ctx, location, opts...)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		Corrupt:  corruptPage,
		Features: storetest.Features{Checkpoints: true, Durable: true},
	}
}

// corruptPage overwrites the third page of the closed database with garbage.
func corruptPage(t testing.TB, location string) {
	f, err := os.OpenFile(location, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7 + 3)
	}
	if _, err := f.WriteAt(garbage, 2*4096); err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, harness())
}

func open(t *testing.T, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendSome(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	for i := range n {
		e := events.Event{
			ID:            events.IDFromKey("k" + string(rune('a'+i))),
			Type:          "T",
			SchemaVersion: 1,
			Payload:       []byte(`{"i":1}`),
		}
		if _, err := s.Append(t.Context(), "s/"+string(rune('a'+i%3)), eventstore.Any{}, e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRejectsNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	if err := os.WriteFile(path, []byte("this is not an SQLite database, just some text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatal("opened a file that is not a database")
	}
	if !errors.Is(err, eventstore.ErrCorrupt) {
		t.Fatalf("error %v, want one wrapping ErrCorrupt", err)
	}
}

func TestIntegrityCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s := open(t, path)
	appendSome(t, s, 10)
	if err := s.IntegrityCheck(t.Context()); err != nil {
		t.Fatalf("healthy store: %v", err)
	}
	// Move a stream head behind the store's back.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "UPDATE streams SET head_hash = 'tampered' WHERE stream = 's/a'"); err != nil {
		t.Fatal(err)
	}
	err = s.IntegrityCheck(t.Context())
	if !errors.Is(err, eventstore.ErrCorrupt) {
		t.Fatalf("tampered stream head: %v, want ErrCorrupt", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s := open(t, path)
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "UPDATE meta SET value = '99' WHERE key = 'schema_version'"); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(t.Context(), path); err == nil {
		s.Close()
		t.Fatal("opened a file with a newer schema")
	}
}
