package sqlite_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
)

func ev(key string) events.Event {
	return events.Event{ID: events.IDFromKey(key), Type: "T", SchemaVersion: 1, IdempotencyKey: key, Payload: []byte(`{"k":1}`)}
}

// TestTwoWritersOneFile appends through two stores on one file in turn: each
// writer must notice the other's commits although it caches stream heads,
// and must not hand out a stream id the other gave a stream meanwhile.
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
		// Each turn also starts a stream, whose id the writer counts from
		// what it last saw.
		if _, err := s.Append(t.Context(), fmt.Sprintf("own/%d", i), eventstore.NoStream{}, ev(fmt.Sprintf("two/own/%d", i))); err != nil {
			t.Fatalf("append to new stream %d: %v", i, err)
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
	for i := range 20 {
		own, err := b.ReadStream(t.Context(), fmt.Sprintf("own/%d", i), 0, 0)
		if err != nil || len(own) != 1 || own[0].IdempotencyKey != fmt.Sprintf("two/own/%d", i) {
			t.Fatalf("stream own/%d reads back %+v, %v", i, own, err)
		}
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

// TestAppendAllOrNothing appends runs of events that fit in one INSERT
// statement and runs that need several to a stream that holds one event,
// first with one event reusing a stored id (at the start, at the end, and
// first and last of a later statement's rows), which must leave nothing of
// the append, then without: every event is stored once, at consecutive
// positions, as a live subscriber was served it from memory, and a retry is
// recognised as one.
func TestAppendAllOrNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "events.db"))
	mustAppend(t, s, "taken", ev("taken/0"))
	sub := follow(t, s, 0, nil)
	var last uint64
	for _, n := range []int{3, 16, 17, 40} {
		stream := fmt.Sprintf("atomic/%d", n)
		mustAppend(t, s, stream, ev(stream+"/first"))
		evs := make([]events.Event, n)
		for i := range evs {
			evs[i] = ev(fmt.Sprintf("%s/%d", stream, i))
		}
		for _, at := range []int{0, n - 1, 16, 31} {
			if at >= n {
				continue
			}
			bad := slices.Clone(evs)
			bad[at] = ev("taken/0")
			if _, err := s.Append(t.Context(), stream, eventstore.Exact(1), bad...); !errors.Is(err, eventstore.ErrDuplicateEventID) {
				t.Fatalf("%d events, stored id at %d: %v, want ErrDuplicateEventID", n, at, err)
			}
			if recs, err := s.ReadStream(t.Context(), stream, 0, 0); err != nil || len(recs) != 1 {
				t.Fatalf("%d events, stored id at %d: the stream holds %d events (%v), want 1", n, at, len(recs), err)
			}
		}
		res, err := s.Append(t.Context(), stream, eventstore.Exact(1), evs...)
		if err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		recs, err := s.ReadStream(t.Context(), stream, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != n || res.StreamVersion != uint64(n+1) || res.Position != recs[n-1].GlobalPosition {
			t.Fatalf("%d events: result %+v, %d stored", n, res, len(recs))
		}
		for i, r := range recs {
			if r.ID != evs[i].ID || r.StreamVersion != uint64(i+2) || r.GlobalPosition != res.Position-uint64(n-1-i) {
				t.Fatalf("%d events: event %d stored as %s, version %d, position %d (last %d)",
					n, i, r.ID, r.StreamVersion, r.GlobalPosition, res.Position)
			}
		}
		again, err := s.Append(t.Context(), stream, eventstore.Exact(1), evs...)
		if err != nil || !again.Duplicate || again.Position != res.Position || again.StreamVersion != uint64(n+1) {
			t.Fatalf("%d events, retried: %+v, %v", n, again, err)
		}
		last = res.Position
	}
	followedFromTail(t, s, sub, last)
}

// followedFromTail stops sub once it has the record at position last and
// checks what it got: the stored records, all served from the in-memory tail,
// whose hash chains verify, from a store that passes its integrity check.
func followedFromTail(t *testing.T, s *sqlite.Store, sub *follower, last uint64) {
	t.Helper()
	sub.waitFor(t, last)
	got := sub.stop(t)
	sameAsStored(t, s, 0, got)
	if fromTail, fromFile := sqlite.Delivered(s); fromFile != 0 {
		t.Fatalf("%d records came from the tail and %d from the file, want all from the tail", fromTail, fromFile)
	}
	v := events.NewChainVerifier()
	for i := range got {
		if err := v.Verify(&got[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.IntegrityCheck(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestStagedAppends sends bursts of small appends at once so that the writer
// stages them into shared INSERT statements: several callers on one stream
// (their heads moved once per statement), the same event sent twice (one is
// stored, the other is recognised as a retry), an event whose id is stored
// already (which makes the shared statement fail and the writer apply the
// burst one append at a time) and a wrong expected version. Every caller must
// get its own outcome, and every result must name where its events are: the
// stored record at its position is its last event, at its version. A live
// subscriber is served the same records from memory, and the chains verify.
func TestStagedAppends(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "events.db"))
	mustAppend(t, s, "taken", ev("taken/0"))
	sub := follow(t, s, 0, nil)
	type call struct {
		stream   string
		expected eventstore.ExpectedVersion
		evs      []events.Event
		res      eventstore.AppendResult
		err      error
	}
	var calls []*call
	for burst := range 8 {
		for i := range 24 {
			c := &call{stream: fmt.Sprintf("staged/%d", i%6), expected: eventstore.Any{}}
			key := fmt.Sprintf("staged/%d/%d", burst, i)
			switch {
			case i == 5 && burst%2 == 0: // an id stored before, in another stream
				c.evs = []events.Event{ev(key), ev("taken/0")}
			case i == 7: // a wrong expected version
				c.expected = eventstore.Exact(1000)
				c.evs = []events.Event{ev(key)}
			case i == 9 || i == 10: // the same event twice
				c.stream = "staged/twice"
				c.evs = []events.Event{ev(fmt.Sprintf("staged/%d/twice", burst))}
			case i%3 == 0:
				c.evs = []events.Event{ev(key + "/a"), ev(key + "/b"), ev(key + "/c")}
			default:
				c.evs = []events.Event{ev(key)}
			}
			calls = append(calls, c)
		}
		var wg sync.WaitGroup
		for _, c := range calls[burst*24:] {
			wg.Go(func() { c.res, c.err = s.Append(t.Context(), c.stream, c.expected, c.evs...) })
		}
		wg.Wait()
	}
	stored := 0
	twice := map[string]int{}
	var last uint64
	for _, c := range calls {
		switch {
		case len(c.evs) == 2:
			if !errors.Is(c.err, eventstore.ErrDuplicateEventID) {
				t.Fatalf("append with a stored id to %s: %v, want ErrDuplicateEventID", c.stream, c.err)
			}
			continue
		case c.expected != (eventstore.Any{}):
			if !errors.Is(c.err, eventstore.ErrWrongExpectedVersion) {
				t.Fatalf("append expecting version 1000 to %s: %v, want ErrWrongExpectedVersion", c.stream, c.err)
			}
			continue
		case c.err != nil:
			t.Fatalf("append to %s: %v", c.stream, c.err)
		}
		if c.stream == "staged/twice" {
			if !c.res.Duplicate {
				stored++
			}
			twice[c.evs[0].ID]++
		} else if c.res.Duplicate {
			t.Fatalf("append to %s: a fresh event reported as a retry", c.stream)
		} else {
			stored += len(c.evs)
		}
		recs, err := s.ReadStream(t.Context(), c.stream, c.res.StreamVersion, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].ID != c.evs[len(c.evs)-1].ID || recs[0].GlobalPosition != c.res.Position {
			t.Fatalf("append to %s: result %+v does not name its last event %s (%+v)", c.stream, c.res, c.evs[len(c.evs)-1].ID, recs)
		}
		last = max(last, c.res.Position)
	}
	for id, n := range twice {
		if n != 2 {
			t.Fatalf("event %s: %d successful appends, want 2 (one stored, one retry)", id, n)
		}
	}
	all, err := s.ReadAll(t.Context(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != stored {
		t.Fatalf("%d events stored after the first, want %d", len(all), stored)
	}
	followedFromTail(t, s, sub, last)
}
