package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestSettingsInEffect checks every pragma the write connection relies on
// on the writer's own connection and every read connection's, on a new file
// and on a reopened one, and that the read connections cannot write.
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
		// Every connection of the read pool, held at once so that the
		// pool opens them all.
		var readers []*sql.Conn
		for range s.cfg.readConns {
			c, err := s.rdb.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			readers = append(readers, c)
		}
		for i, c := range readers {
			for _, p := range readerSettings(s.cfg) {
				var got string
				if err := c.QueryRowContext(t.Context(), "PRAGMA "+p.name).Scan(&got); err != nil {
					t.Fatalf("%s: reader %d: PRAGMA %s: %v", round, i, p.name, err)
				}
				if !strings.EqualFold(got, p.read) {
					t.Errorf("%s: reader %d PRAGMA %s = %q, want %q", round, i, p.name, got, p.read)
				}
			}
			if _, err := c.ExecContext(t.Context(), "DELETE FROM checkpoints"); err == nil {
				t.Errorf("%s: reader %d wrote", round, i)
			}
			c.Close()
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
