package sqlitetest_test

import (
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite/sqlitetest"
)

func TestOpen(t *testing.T) {
	s := sqlitetest.Open(t)
	e := events.Event{ID: events.IDFromKey("k"), Type: "T", SchemaVersion: 1, Payload: []byte(`{}`)}
	res, err := s.Append(t.Context(), "s/1", eventstore.NoStream{}, e)
	if err != nil || res.StreamVersion != 1 {
		t.Fatalf("append: %+v %v", res, err)
	}
}
