package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSettingsInEffect checks every pragma the write connection relies on
// on the writer's own connection, on a new file and on a reopened one, and
// that the read connections are read-only.
func TestSettingsInEffect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	for _, round := range []string{"new file", "reopened"} {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range writerSettings(s.cfg) {
			var got string
			if err := s.writer.conn.QueryRowContext(t.Context(), "PRAGMA "+p.name).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", round, p.name, err)
			}
			if !strings.EqualFold(got, p.read) {
				t.Errorf("%s: writer PRAGMA %s = %q, want %q", round, p.name, got, p.read)
			}
		}
		var queryOnly int
		if err := s.rdb.QueryRowContext(t.Context(), "PRAGMA query_only").Scan(&queryOnly); err != nil {
			t.Fatal(err)
		}
		if queryOnly != 1 {
			t.Errorf("%s: reader PRAGMA query_only = %d, want 1", round, queryOnly)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSettingsCheckRefuses checks that a setting that did not take is an
// error at open, not a silent downgrade.
func TestSettingsCheckRefuses(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wrong := settings{{"temp_store", "MEMORY", "1"}} // FILE
	if err := wrong.check(t.Context(), s.writer.conn); err == nil || !strings.Contains(err.Error(), "temp_store") {
		t.Fatalf("check of a setting not in effect: %v, want an error naming temp_store", err)
	}
}
