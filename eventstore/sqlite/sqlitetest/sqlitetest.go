// Package sqlitetest opens throwaway SQLite event stores for tests of other
// packages (projections, handlers, the processor).
package sqlitetest

import (
	"path/filepath"
	"testing"

	"github.com/worldval/worldval/eventstore/sqlite"
)

// Open opens a store in a new file under t.TempDir() and closes it when the
// test ends, failing the test if Open or Close fails. The store is as durable
// as a production one (WAL, synchronous=FULL); pass options such as
// [sqlite.WithRegistry] or [sqlite.WithClock] as needed.
func Open(t testing.TB, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "events.db"), opts...)
	if err != nil {
		t.Fatalf("open sqlite event store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close sqlite event store: %v", err)
		}
	})
	return s
}
