package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
)

const tailWait = 20 * time.Second

// follower runs one subscription in a goroutine and keeps what it delivers.
type follower struct {
	after  uint64
	cancel context.CancelFunc
	done   chan error
	last   atomic.Uint64
	mu     sync.Mutex
	got    []events.Record
	bad    error
}

// follow subscribes to s after the given position. before, when not nil,
// runs in the handler before each record is kept.
func follow(t *testing.T, s *sqlite.Store, after uint64, before func(*events.Record)) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	f := &follower{after: after, cancel: cancel, done: make(chan error, 1)}
	f.last.Store(after)
	go func() {
		f.done <- s.Subscribe(ctx, after, func(_ context.Context, r events.Record) error {
			if before != nil {
				before(&r)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if want := f.last.Load() + 1; r.GlobalPosition != want && f.bad == nil {
				f.bad = fmt.Errorf("position %d delivered when %d was next", r.GlobalPosition, want)
			}
			f.got = append(f.got, r)
			f.last.Store(r.GlobalPosition)
			return nil
		})
	}()
	t.Cleanup(cancel)
	return f
}

// waitFor waits until f has delivered position pos.
func (f *follower) waitFor(t *testing.T, pos uint64) {
	t.Helper()
	deadline := time.Now().Add(tailWait)
	for f.last.Load() < pos {
		select {
		case err := <-f.done:
			t.Fatalf("subscription after %d ended at %d before %d: %v", f.after, f.last.Load(), pos, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscription after %d reached %d, not %d, within %v", f.after, f.last.Load(), pos, tailWait)
		}
		time.Sleep(time.Millisecond)
	}
}

// stop ends the subscription and returns what it delivered.
func (f *follower) stop(t *testing.T) []events.Record {
	t.Helper()
	f.cancel()
	if err := <-f.done; !errors.Is(err, context.Canceled) {
		t.Fatalf("subscription after %d returned %v, want context.Canceled", f.after, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bad != nil {
		t.Fatalf("subscription after %d: %v", f.after, f.bad)
	}
	return f.got
}

// sameAsStored checks that got is exactly what ReadAll returns after the
// given position, field for field.
func sameAsStored(t *testing.T, s *sqlite.Store, after uint64, got []events.Record) {
	t.Helper()
	want, err := s.ReadAll(t.Context(), after, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("subscription after %d delivered %d records, ReadAll returns %d", after, len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("record %d (position %d) differs from ReadAll's:\n got %#v\nwant %#v", i, want[i].GlobalPosition, got[i], want[i])
		}
	}
}

func tailEvent(key string) events.Event {
	return events.Event{ID: events.IDFromKey(key), Type: "T", SchemaVersion: 1, IdempotencyKey: key, Payload: []byte(`{"k":"` + key + `"}`)}
}

func mustAppend(t *testing.T, s *sqlite.Store, stream string, evs ...events.Event) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(t.Context(), stream, eventstore.Any{}, evs...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestTailRecordsEqualReadAll appends events whose times carry zones,
// monotonic readings and nanoseconds, whose metadata has odd characters and
// whose payloads have odd bytes, to a live subscriber: what it is served
// from memory must be what ReadAll returns, field for field.
func TestTailRecordsEqualReadAll(t *testing.T) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	s := open(t, filepath.Join(t.TempDir(), "events.db"),
		sqlite.WithClock(func() time.Time { return time.Now().In(zone) })) // with a monotonic reading
	// After a first commit the tail holds everything from the start, so
	// the subscription never needs the file.
	mustAppend(t, s, "eq/first", tailEvent("eq/first"))
	sub := follow(t, s, 0, nil)
	var evs []events.Event
	for i := range 12 {
		e := tailEvent(fmt.Sprintf("eq/%d", i))
		switch i % 4 {
		case 0:
			e.OccurredAt = time.Date(2026, 3, 14, 1, 2, 3, 456789012, zone)
		case 1:
			e.OccurredAt = time.Now() // monotonic reading, local zone
		case 2:
			// The zero time: stored as the empty string.
		case 3:
			e.OccurredAt = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
		}
		e.Actor = "act\x00or ✓"
		e.CorrelationID = fmt.Sprintf("corr-%d", i)
		e.CausationID = "cause\ttab"
		e.Payload = []byte(fmt.Sprintf(" {\"i\": %d, \"s\": \"\\u00e9\\n\"}\n", i))
		evs = append(evs, e)
	}
	// Single and multi-event appends, to several streams.
	mustAppend(t, s, "eq/a", evs[0])
	mustAppend(t, s, "eq/b", evs[1:4]...)
	mustAppend(t, s, "eq/a", evs[4:9]...)
	res := mustAppend(t, s, "eq/c", evs[9:]...)
	sub.waitFor(t, res.Position)
	got := sub.stop(t)
	sameAsStored(t, s, 0, got)
	if fromTail, fromFile := sqlite.Delivered(s); fromTail != uint64(len(got)) || fromFile != 0 {
		t.Fatalf("%d of %d records came from the tail and %d from the file, want all from the tail",
			fromTail, len(got), fromFile)
	}
	// The hash chains verify over what was served.
	v := events.NewChainVerifier()
	for i := range got {
		if err := v.Verify(&got[i]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTailIsolation checks what the tail shares and what it does not: the
// appender changing its payload after Append changes nothing stored or
// delivered; subscribers receive one shared copy of each payload, not one
// each; and a handler that appends to its payload (allowed: the payload is
// read-only, but appending is not writing into it) gets new bytes, leaving
// the shared ones as stored.
func TestTailIsolation(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "events.db"))
	mustAppend(t, s, "iso", tailEvent("iso/first")) // from now on the tail holds everything
	appender := follow(t, s, 0, func(r *events.Record) {
		r.Payload = append(r.Payload, " appended"...)
	})
	honest := follow(t, s, 0, nil)
	var last uint64
	for i := range 20 {
		// Every other append has two events, whose payloads the store
		// keeps side by side in one buffer: appending to the first must
		// not write into the second.
		evs := []events.Event{tailEvent(fmt.Sprintf("iso/%d", i))}
		if i%2 == 1 {
			evs = append(evs, tailEvent(fmt.Sprintf("iso/%d/b", i)))
		}
		last = mustAppend(t, s, "iso", evs...).Position
		for _, e := range evs {
			for j := range e.Payload {
				e.Payload[j] = 'Y' // the appender's slice, after the append
			}
		}
	}
	appender.waitFor(t, last)
	honest.waitFor(t, last)
	grown, first := appender.stop(t), honest.stop(t)
	sameAsStored(t, s, 0, first)
	late := follow(t, s, 10, nil) // within the tail
	late.waitFor(t, last)
	second := late.stop(t)
	sameAsStored(t, s, 10, second)
	if _, fromFile := sqlite.Delivered(s); fromFile != 0 {
		t.Fatalf("%d records came from the file, want none", fromFile)
	}
	shared := map[uint64][]byte{}
	for _, r := range grown {
		if !strings.HasSuffix(string(r.Payload), " appended") {
			t.Fatalf("position %d: appending handler kept %q", r.GlobalPosition, r.Payload)
		}
	}
	for _, r := range first {
		shared[r.GlobalPosition] = r.Payload
	}
	for _, r := range second {
		if p := shared[r.GlobalPosition]; len(p) == 0 || &p[0] != &r.Payload[0] {
			t.Fatalf("position %d: two subscribers got separate copies of the payload, want one shared", r.GlobalPosition)
		}
	}
}

// TestSubscriberFallsBehindTail holds a subscription up while far more
// events are appended than a tiny tail keeps: it must read them from the
// file, then move on to the tail, without a gap or a duplicate at either
// hand-over.
func TestSubscriberFallsBehindTail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		option sqlite.Option
	}{
		{"records", sqlite.WithTail(4, -1)},
		{"bytes", sqlite.WithTail(-1, 3*300)}, // about three small events
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "events.db"), tc.option)
			for i := range 10 {
				mustAppend(t, s, fmt.Sprintf("behind/%d", i%3), tailEvent(fmt.Sprintf("seed/%d", i)))
			}
			gate := make(chan struct{})
			var once sync.Once
			sub := follow(t, s, 0, func(r *events.Record) {
				if r.GlobalPosition == 5 {
					once.Do(func() { <-gate })
				}
			})
			sub.waitFor(t, 4)
			// Held at position 5 while 600 more arrive (more than one
			// read batch), in appends of one and of several events.
			for i := 0; i < 600; {
				n := 1 + i%7
				evs := make([]events.Event, n)
				for k := range evs {
					evs[k] = tailEvent(fmt.Sprintf("behind/%d", i+k))
				}
				mustAppend(t, s, fmt.Sprintf("behind/%d", i%5), evs...)
				i += n
			}
			_, fileBefore := sqlite.Delivered(s)
			close(gate)
			head, err := s.Head(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			sub.waitFor(t, head)
			tailBefore, fileAfter := sqlite.Delivered(s)
			if fileAfter-fileBefore < 500 {
				t.Fatalf("a subscriber far behind the tail read %d records from the file", fileAfter-fileBefore)
			}
			// Now live again: one by one, each from the tail.
			var last uint64
			for i := range 20 {
				last = mustAppend(t, s, "behind/live", tailEvent(fmt.Sprintf("live/%d", i))).Position
				sub.waitFor(t, last)
			}
			got := sub.stop(t)
			sameAsStored(t, s, 0, got)
			if fromTail, fromFile := sqlite.Delivered(s); fromTail-tailBefore < 20 || fromFile != fileAfter {
				t.Fatalf("live records: %d from the tail and %d from the file, want 20 and none",
					fromTail-tailBefore, fromFile-fileAfter)
			}
		})
	}
}

// TestTailConcurrentAppenders runs several appenders and several
// subscribers, some slow enough to fall behind a small tail, some started
// mid-way: each must see every position after its start exactly once, in
// order, and the records ReadAll returns.
func TestTailConcurrentAppenders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		option sqlite.Option
	}{
		{"default", sqlite.WithTail(-1, -1)},
		{"tiny", sqlite.WithTail(8, -1)},
		{"off", sqlite.WithTail(0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const appenders, appends = 4, 60
			s := open(t, filepath.Join(t.TempDir(), "events.db"), tc.option)
			var subs []*follower
			for i := range 4 {
				var slow func(*events.Record)
				if i%2 == 1 {
					slow = func(r *events.Record) {
						if r.GlobalPosition%16 == 0 {
							time.Sleep(2 * time.Millisecond)
						}
					}
				}
				subs = append(subs, follow(t, s, 0, slow))
			}
			var wg sync.WaitGroup
			errs := make(chan error, appenders)
			for w := range appenders {
				wg.Go(func() {
					for i := range appends {
						evs := []events.Event{tailEvent(fmt.Sprintf("conc/%d/%d/a", w, i))}
						if i%3 == 0 {
							evs = append(evs, tailEvent(fmt.Sprintf("conc/%d/%d/b", w, i)))
						}
						if _, err := s.Append(t.Context(), fmt.Sprintf("conc/%d", (w+i)%3), eventstore.Any{}, evs...); err != nil {
							errs <- err
							return
						}
						if w == 0 && i == appends/2 {
							head, err := s.Head(t.Context())
							if err != nil {
								errs <- err
								return
							}
							subs = append(subs, follow(t, s, head/2, nil), follow(t, s, head, nil))
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			head, err := s.Head(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if want := uint64(appenders * (appends + appends/3)); head != want {
				t.Fatalf("head %d, want %d", head, want)
			}
			for _, f := range subs {
				f.waitFor(t, head)
				sameAsStored(t, s, f.after, f.stop(t))
			}
		})
	}
}

// TestTailAfterAnotherWriter appends through a second store on the same
// file between the first store's commits: the first store's subscribers
// must get those events too, in order, once the first store commits again.
func TestTailAfterAnotherWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	a, b := open(t, path), open(t, path)
	sub := follow(t, a, 0, nil)
	mustAppend(t, a, "two/a", tailEvent("two/1"), tailEvent("two/2"))
	sub.waitFor(t, 2)
	mustAppend(t, b, "two/b", tailEvent("two/3"))
	mustAppend(t, b, "two/b", tailEvent("two/4"))
	res := mustAppend(t, a, "two/a", tailEvent("two/5"))
	sub.waitFor(t, res.Position)
	got := sub.stop(t)
	sameAsStored(t, a, 0, got)
	// A subscription started now, inside the tail, sees them all too.
	late := follow(t, a, 1, nil)
	late.waitFor(t, res.Position)
	sameAsStored(t, a, 1, late.stop(t))
}

// TestTailSkipsRejectedAppends shares group commits between appends that
// are stored and appends that are rejected after writing part of themselves
// (a multi-event append whose second event reuses a stored id), refused
// outright (a stale expected version) or found to be retries: subscribers
// served from the tail must see exactly what was stored.
func TestTailSkipsRejectedAppends(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "events.db"))
	stored := tailEvent("rej/stored")
	mustAppend(t, s, "rej/x", stored)
	sub := follow(t, s, 0, nil)
	const writers, rounds = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				key := fmt.Sprintf("rej/%d/%d", w, i)
				ctx := t.Context()
				switch i % 4 {
				case 0: // rejected after inserting its first event
					_, err := s.Append(ctx, "rej/x", eventstore.Any{}, tailEvent(key), stored)
					if !errors.Is(err, eventstore.ErrDuplicateEventID) {
						t.Errorf("append reusing a stored id: %v", err)
					}
				case 1: // refused: the stream has moved on
					_, err := s.Append(ctx, "rej/x", eventstore.NoStream{}, tailEvent(key))
					if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
						t.Errorf("stale append: %v", err)
					}
				case 2: // a retry: stored already
					if res, err := s.Append(ctx, "rej/x", eventstore.NoStream{}, stored); err != nil || !res.Duplicate {
						t.Errorf("retry: %+v, %v", res, err)
					}
				case 3:
					if _, err := s.Append(ctx, fmt.Sprintf("rej/%d", w), eventstore.Any{}, tailEvent(key), tailEvent(key+"/b")); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	last := mustAppend(t, s, "rej/end", tailEvent("rej/end")).Position
	sub.waitFor(t, last)
	sameAsStored(t, s, 0, sub.stop(t))
	if want := uint64(1 + writers*(rounds/4)*2 + 1); last != want {
		t.Fatalf("last position %d, want %d", last, want)
	}
}
