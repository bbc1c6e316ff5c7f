// Package storetest is the conformance suite every [projections.Store] must
// pass: the in-memory store now, the Redis store later. Call [Run] from a
// backend's tests.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/worldval/worldval/projections"
)

// Run runs the suite. newStore must return an empty store for each call; the
// suite never closes it.
func Run(t *testing.T, newStore func(t *testing.T) projections.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s projections.Store)
	}{
		{"GetMissing", testGetMissing},
		{"PutGetDelete", testPutGetDelete},
		{"CheckpointCompareAndSet", testCheckpoint},
		{"MismatchWritesNothing", testMismatchWritesNothing},
		{"InvalidBatchWritesNothing", testInvalidBatchWritesNothing},
		{"CancelledCommitWritesNothing", testCancelledCommit},
		{"SortedSets", testSortedSets},
		{"LaterWriteWins", testLaterWriteWins},
		{"IndependentCheckpoints", testIndependentCheckpoints},
		{"ReadersSeeWholeBatches", testReadersSeeWholeBatches},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func commit(t *testing.T, s projections.Store, name string, from, to uint64, ws ...projections.Write) {
	t.Helper()
	if err := s.Commit(context.Background(), projections.Batch{Projection: name, From: from, To: to, Writes: ws}); err != nil {
		t.Fatalf("commit %s %d..%d: %v", name, from, to, err)
	}
}

func wantValue(t *testing.T, s projections.Store, key, want string) {
	t.Helper()
	got, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	if string(got) != want {
		t.Fatalf("get %q = %q, want %q", key, got, want)
	}
}

func wantMissing(t *testing.T, s projections.Store, key string) {
	t.Helper()
	if v, err := s.Get(context.Background(), key); !errors.Is(err, projections.ErrNotFound) {
		t.Fatalf("get %q = %q, %v; want ErrNotFound", key, v, err)
	}
}

func wantCheckpoint(t *testing.T, s projections.Store, name string, want uint64) {
	t.Helper()
	got, err := s.Checkpoint(context.Background(), name)
	if err != nil {
		t.Fatalf("checkpoint %s: %v", name, err)
	}
	if got != want {
		t.Fatalf("checkpoint %s = %d, want %d", name, got, want)
	}
}

func wantRange(t *testing.T, s projections.Store, set, from string, limit int, want ...string) {
	t.Helper()
	got, err := s.Range(context.Background(), set, from, limit)
	if err != nil {
		t.Fatalf("range %q from %q: %v", set, from, err)
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("range %q from %q limit %d = %q, want %q", set, from, limit, got, want)
	}
}

func testGetMissing(t *testing.T, s projections.Store) {
	wantMissing(t, s, "p/none")
	wantCheckpoint(t, s, "p", 0)
	wantRange(t, s, "p/set", "", 0)
}

func testPutGetDelete(t *testing.T, s projections.Store) {
	commit(t, s, "p", 0, 1, projections.Put{Key: "p/a", Value: []byte(`{"v":1}`)}, projections.Put{Key: "p/b", Value: []byte(`2`)})
	wantValue(t, s, "p/a", `{"v":1}`)
	wantValue(t, s, "p/b", `2`)
	commit(t, s, "p", 1, 2, projections.Put{Key: "p/a", Value: []byte(`3`)}, projections.Delete{Key: "p/b"}, projections.Delete{Key: "p/never"})
	wantValue(t, s, "p/a", `3`)
	wantMissing(t, s, "p/b")
	wantCheckpoint(t, s, "p", 2)
}

func testCheckpoint(t *testing.T, s projections.Store) {
	commit(t, s, "p", 0, 5)
	wantCheckpoint(t, s, "p", 5)
	commit(t, s, "p", 5, 5) // an empty step is allowed
	err := s.Commit(context.Background(), projections.Batch{Projection: "p", From: 0, To: 9})
	if !errors.Is(err, projections.ErrCheckpointMismatch) {
		t.Fatalf("commit from a stale checkpoint: %v, want ErrCheckpointMismatch", err)
	}
	wantCheckpoint(t, s, "p", 5)
}

func testMismatchWritesNothing(t *testing.T, s projections.Store) {
	commit(t, s, "p", 0, 3, projections.Put{Key: "p/a", Value: []byte(`1`)})
	err := s.Commit(context.Background(), projections.Batch{Projection: "p", From: 2, To: 4, Writes: []projections.Write{
		projections.Put{Key: "p/a", Value: []byte(`2`)},
		projections.Put{Key: "p/b", Value: []byte(`2`)},
		projections.AddMember{Set: "p/s", Member: "m"},
	}})
	if !errors.Is(err, projections.ErrCheckpointMismatch) {
		t.Fatalf("commit: %v, want ErrCheckpointMismatch", err)
	}
	wantValue(t, s, "p/a", `1`)
	wantMissing(t, s, "p/b")
	wantRange(t, s, "p/s", "", 0)
	wantCheckpoint(t, s, "p", 3)
}

func testInvalidBatchWritesNothing(t *testing.T, s projections.Store) {
	bad := []projections.Batch{
		{Projection: "p", From: 0, To: 1, Writes: []projections.Write{projections.Put{Key: "p/a", Value: []byte(`1`)}, projections.Put{Key: "", Value: []byte(`1`)}}},
		{Projection: "p", From: 0, To: 1, Writes: []projections.Write{projections.Put{Key: "p/a", Value: []byte(`1`)}, projections.AddMember{Set: "p/s"}}},
		{Projection: "p", From: 0, To: 1, Writes: []projections.Write{projections.Put{Key: "p/a", Value: []byte(`1`)}, nil}},
		{Projection: "p", From: 0, To: 1, Writes: []projections.Write{projections.Put{Key: "p/a"}}},
		{Projection: "", From: 0, To: 1},
	}
	for i, b := range bad {
		if err := s.Commit(context.Background(), b); !errors.Is(err, projections.ErrInvalidBatch) {
			t.Fatalf("batch %d: %v, want ErrInvalidBatch", i, err)
		}
	}
	wantMissing(t, s, "p/a")
	wantCheckpoint(t, s, "p", 0)
	commit(t, s, "p", 0, 4)
	err := s.Commit(context.Background(), projections.Batch{Projection: "p", From: 4, To: 3})
	if !errors.Is(err, projections.ErrInvalidBatch) {
		t.Fatalf("backwards checkpoint: %v, want ErrInvalidBatch", err)
	}
	wantCheckpoint(t, s, "p", 4)
}

func testCancelledCommit(t *testing.T, s projections.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Commit(ctx, projections.Batch{Projection: "p", From: 0, To: 1, Writes: []projections.Write{projections.Put{Key: "p/a", Value: []byte(`1`)}}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("commit with a cancelled context: %v, want context.Canceled", err)
	}
	wantMissing(t, s, "p/a")
	wantCheckpoint(t, s, "p", 0)
}

func testSortedSets(t *testing.T, s projections.Store) {
	var adds []projections.Write
	for _, m := range []string{"c", "a", "b 2", "b 10", "b", "\xff", "a"} {
		adds = append(adds, projections.AddMember{Set: "p/s", Member: m})
	}
	commit(t, s, "p", 0, 1, adds...)
	wantRange(t, s, "p/s", "", 0, "a", "b", "b 10", "b 2", "c", "\xff")
	wantRange(t, s, "p/s", "b", 0, "b", "b 10", "b 2", "c", "\xff")
	wantRange(t, s, "p/s", "b\x00", 2, "b 10", "b 2")
	wantRange(t, s, "p/s", "d", 0, "\xff")
	wantRange(t, s, "p/other", "", 0)
	commit(t, s, "p", 1, 2, projections.RemoveMember{Set: "p/s", Member: "b"}, projections.RemoveMember{Set: "p/s", Member: "zz"})
	wantRange(t, s, "p/s", "", 3, "a", "b 10", "b 2")
	var rms []projections.Write
	for _, m := range []string{"a", "b 10", "b 2", "c", "\xff"} {
		rms = append(rms, projections.RemoveMember{Set: "p/s", Member: m})
	}
	commit(t, s, "p", 2, 3, rms...)
	wantRange(t, s, "p/s", "", 0)
}

func testLaterWriteWins(t *testing.T, s projections.Store) {
	commit(t, s, "p", 0, 1,
		projections.Put{Key: "p/a", Value: []byte(`1`)},
		projections.AddMember{Set: "p/s", Member: "x"},
		projections.Delete{Key: "p/a"},
		projections.RemoveMember{Set: "p/s", Member: "x"},
		projections.Put{Key: "p/b", Value: []byte(`1`)},
		projections.Put{Key: "p/b", Value: []byte(`2`)},
	)
	wantMissing(t, s, "p/a")
	wantRange(t, s, "p/s", "", 0)
	wantValue(t, s, "p/b", `2`)
}

func testIndependentCheckpoints(t *testing.T, s projections.Store) {
	commit(t, s, "p", 0, 7)
	commit(t, s, "q", 0, 2)
	wantCheckpoint(t, s, "p", 7)
	wantCheckpoint(t, s, "q", 2)
}

// testReadersSeeWholeBatches commits batches that write a value, a set
// member and the checkpoint together while readers check that whatever
// checkpoint they see, the data they read afterwards is at least as new.
func testReadersSeeWholeBatches(t *testing.T, s projections.Store) {
	const batches = 300
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	done := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				cp, err := s.Checkpoint(ctx, "p")
				if err != nil {
					errs <- err
					return
				}
				if cp == 0 {
					continue
				}
				v, err := s.Get(ctx, "p/v")
				if err != nil {
					errs <- fmt.Errorf("checkpoint %d but value: %w", cp, err)
					return
				}
				if n, _ := strconv.ParseUint(string(v), 10, 64); n < cp {
					errs <- fmt.Errorf("checkpoint %d but value %d", cp, n)
					return
				}
				ms, err := s.Range(ctx, "p/s", pad(cp), 1)
				if err != nil || len(ms) != 1 {
					errs <- fmt.Errorf("checkpoint %d but member %v, %v", cp, ms, err)
					return
				}
			}
		}()
	}
	for i := uint64(1); i <= batches; i++ {
		commit(t, s, "p", i-1, i,
			projections.Put{Key: "p/v", Value: []byte(strconv.FormatUint(i, 10))},
			projections.AddMember{Set: "p/s", Member: pad(i)})
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func pad(n uint64) string { return fmt.Sprintf("%020d", n) }
