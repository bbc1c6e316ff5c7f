package sqlite_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

func ev(key string) events.Event {
	return events.Event{ID: events.IDFromKey(key), Type: "T", SchemaVersion: 1, IdempotencyKey: key, Payload: []byte(`{"k":1}`)}
}

// TestTwoWritersOneFile appends through two stores on one file in turn: each
// writer must notice the other's commits although it caches stream heads.
func TestTwoWritersOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	a, b := open(t, path), open(t, path)
	for i := range 20 {
		s := a
		if i%2 == 1 {
			s = b
		}
		res, err := s.Append(t.Context(), "shared", eventstore.Exact(i), ev(fmt.Sprintf("two/%d", i)))
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if res.StreamVersion != uint64(i+1) {
			t.Fatalf("append %d: version %d", i, res.StreamVersion)
		}
		// A stale expectation is refused by the other writer too.
		if _, err := s.Append(t.Context(), "shared", eventstore.Exact(i), ev(fmt.Sprintf("two/stale/%d", i))); !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			t.Fatalf("stale append %d: %v", i, err)
		}
	}
	recs, err := a.ReadStream(t.Context(), "shared", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	v := events.NewChainVerifier()
	for i := range recs {
		if err := v.Verify(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if len(recs) != 20 {
		t.Fatalf("%d events, want 20", len(recs))
	}
	if err := a.IntegrityCheck(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestGroupIsolation sends many appends at once, some of them bound to fail,
// so that they share group commits: each caller must get its own outcome and
// only the failing appends may be missing.
func TestGroupIsolation(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "events.db"))
	if _, err := s.Append(t.Context(), "taken", eventstore.NoStream{}, ev("taken/0")); err != nil {
		t.Fatal(err)
	}
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stream := fmt.Sprintf("iso/%d", i)
			evs := []events.Event{ev(fmt.Sprintf("iso/%d/a", i)), ev(fmt.Sprintf("iso/%d/b", i))}
			switch i % 4 {
			case 1: // wrong expected version
				_, errs[i] = s.Append(t.Context(), stream, eventstore.Exact(5), evs...)
			case 2: // second event reuses a stored id: the first must not stay
				evs[1] = ev("taken/0")
				_, errs[i] = s.Append(t.Context(), stream, eventstore.Any{}, evs...)
			default:
				_, errs[i] = s.Append(t.Context(), stream, eventstore.NoStream{}, evs...)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		stream := fmt.Sprintf("iso/%d", i)
		recs, rerr := s.ReadStream(t.Context(), stream, 0, 0)
		switch i % 4 {
		case 1:
			if !errors.Is(err, eventstore.ErrWrongExpectedVersion) || !errors.Is(rerr, eventstore.ErrStreamNotFound) {
				t.Fatalf("append %d: %v; read: %v", i, err, rerr)
			}
		case 2:
			if !errors.Is(err, eventstore.ErrDuplicateEventID) || !errors.Is(rerr, eventstore.ErrStreamNotFound) {
				t.Fatalf("append %d: %v; read: %v (%d events)", i, err, rerr, len(recs))
			}
		default:
			if err != nil || rerr != nil || len(recs) != 2 {
				t.Fatalf("append %d: %v; read: %v (%d events)", i, err, rerr, len(recs))
			}
		}
	}
	if err := s.IntegrityCheck(t.Context()); err != nil {
		t.Fatal(err)
	}
}
