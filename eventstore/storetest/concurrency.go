package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/worldval/worldval/eventstore"
)

// testConcurrentWriters races writers on one stream in rounds: in round v
// every writer appends with Exact(v) at once. Exactly one must win each
// round, the rest must fail with ErrWrongExpectedVersion, and the stream must
// end gap-free with each round's winner at version v+1.
func testConcurrentWriters(t *testing.T, h Harness) {
	const writers, rounds = 8, 12
	s, _ := newStore(t, h, Config{})
	const stream = "race/one"
	winners := make([]int, rounds)
	for v := range rounds {
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make([]error, writers)
		for w := range writers {
			wg.Go(func() {
				<-start
				_, results[w] = s.Append(testContext(t), stream, eventstore.Exact(v), event(fmt.Sprintf("race/%d/%d", v, w), w))
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for w, err := range results {
			switch {
			case err == nil:
				won++
				winners[v] = w
			case !errors.Is(err, eventstore.ErrWrongExpectedVersion):
				t.Fatalf("round %d writer %d: %v", v, w, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d writers won, want exactly 1", v, won)
		}
	}
	recs, err := s.ReadStream(testContext(t), stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != rounds {
		t.Fatalf("stream has %d events after %d rounds", len(recs), rounds)
	}
	for v, r := range recs {
		want := event(fmt.Sprintf("race/%d/%d", v, winners[v]), winners[v])
		if r.StreamVersion != uint64(v+1) {
			t.Fatalf("event %d has version %d", v, r.StreamVersion)
		}
		if err := sameEvent(&r.Event, &want); err != nil {
			t.Fatalf("version %d is not round %d's winner: %v", v+1, v, err)
		}
	}
	verifyChains(t, s)
}

// testConcurrentRetrying has writers append to one stream in the usual
// read-decide-append loop, retrying on conflicts, so that winning and losing
// appends share group commits. Every writer's appends must all land, in its
// own order, on a gap-free stream.
func testConcurrentRetrying(t *testing.T, h Harness) {
	const writers, appends = 6, 8
	s, _ := newStore(t, h, Config{})
	const stream = "race/retry"
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := 0; i < appends; {
				var version uint64
				recs, err := s.ReadStream(testContext(t), stream, 0, 0)
				switch {
				case errors.Is(err, eventstore.ErrStreamNotFound):
				case err != nil:
					errs <- err
					return
				default:
					version = recs[len(recs)-1].StreamVersion
				}
				res, err := s.Append(testContext(t), stream, eventstore.Exact(version), event(fmt.Sprintf("retry/%d/%d", w, i), i))
				switch {
				case errors.Is(err, eventstore.ErrWrongExpectedVersion):
					continue
				case err != nil:
					errs <- fmt.Errorf("writer %d append %d: %w", w, i, err)
					return
				case res.StreamVersion != version+1:
					errs <- fmt.Errorf("writer %d: appended at %d, result says version %d", w, version, res.StreamVersion)
					return
				}
				i++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	recs := verifyChains(t, s)
	if len(recs) != writers*appends {
		t.Fatalf("%d events stored, want %d", len(recs), writers*appends)
	}
	next := make([]int, writers)
	for _, r := range recs {
		var w, i int
		if _, err := fmt.Sscanf(r.IdempotencyKey, "retry/%d/%d", &w, &i); err != nil {
			t.Fatalf("unexpected event %s: %v", r.IdempotencyKey, err)
		}
		if i != next[w] {
			t.Fatalf("writer %d: append %d stored after %d", w, i, next[w]-1)
		}
		next[w]++
	}
}
