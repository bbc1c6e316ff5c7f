package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// testCanceledAppend appends with a context that has already ended: the
// append must fail with the context's error and store nothing.
func testCanceledAppend(t *testing.T, h Harness) {
	s, _ := newStore(t, h, Config{})
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	for i := range 20 {
		_, err := s.Append(ctx, "cancel/a", eventstore.Any{}, event(fmt.Sprintf("cancel/%d", i), i))
		wantErr(t, "append with a canceled context", err, context.Canceled)
	}
	if got := head(t, s); got != 0 {
		t.Fatalf("appends with a canceled context stored events: head %d", got)
	}
}

// testClock opens a store with a fixed clock: every event must record it,
// to the nanosecond, and still verify.
func testClock(t *testing.T, h Harness) {
	at := time.Date(2031, 7, 1, 12, 34, 56, 789012345, time.FixedZone("UTC+2", 2*3600))
	s, _ := newStore(t, h, Config{Clock: func() time.Time { return at }})
	mustAppend(t, s, "clock/a", eventstore.NoStream{}, eventsN("clock/a", 3)...)
	for _, r := range verifyChains(t, s) {
		if !r.RecordedAt.Equal(at) {
			t.Fatalf("recorded_at %v, the clock said %v", r.RecordedAt, at)
		}
	}
}

// testCheckpoints saves and reads checkpoints, and with a durable store reads
// them again after reopening.
func testCheckpoints(t *testing.T, h Harness) {
	loc := h.NewLocation(t)
	s := openAt(t, h, loc, Config{})
	cp, ok := s.(eventstore.Checkpoints)
	if !ok {
		t.Fatalf("%T does not implement eventstore.Checkpoints", s)
	}
	ctx := testContext(t)
	want := func(cp eventstore.Checkpoints, name string, pos uint64) {
		t.Helper()
		got, err := cp.Checkpoint(ctx, name)
		if err != nil {
			t.Fatalf("checkpoint %s: %v", name, err)
		}
		if got != pos {
			t.Fatalf("checkpoint %s = %d, want %d", name, got, pos)
		}
	}
	want(cp, "projection/runs", 0)
	for _, step := range []struct {
		name string
		pos  uint64
	}{{"projection/runs", 5}, {"projection/runs", 42}, {"handler/evaluator", 7}, {"projection/runs", 3}, {"ünïcödé", 1 << 40}} {
		if err := cp.SaveCheckpoint(ctx, step.name, step.pos); err != nil {
			t.Fatalf("save checkpoint %s = %d: %v", step.name, step.pos, err)
		}
		want(cp, step.name, step.pos)
	}
	want(cp, "handler/evaluator", 7)
	if !h.Features.Durable {
		return
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cp2 := openAt(t, h, loc, Config{}).(eventstore.Checkpoints)
	want(cp2, "projection/runs", 3)
	want(cp2, "handler/evaluator", 7)
	want(cp2, "ünïcödé", 1<<40)
}

// testReopen closes a store and opens its location again: everything reads
// back identical, and new appends continue the streams and their chains.
func testReopen(t *testing.T, h Harness) {
	loc := h.NewLocation(t)
	s := openAt(t, h, loc, Config{})
	for i := range 6 {
		mustAppend(t, s, fmt.Sprintf("reopen/%d", i%2), eventstore.Any{}, eventsN(fmt.Sprintf("reopen/%d", i), 1+i%3)...)
	}
	before := verifyChains(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openAt(t, h, loc, Config{})
	after := verifyChains(t, s2)
	if len(after) != len(before) {
		t.Fatalf("%d events after reopening, %d before", len(after), len(before))
	}
	for i := range after {
		if err := sameRecord(&after[i], &before[i]); err != nil {
			t.Fatalf("event %d changed across reopening: %v", i, err)
		}
	}
	res := mustAppend(t, s2, "reopen/0", eventstore.StreamExists{}, event("reopen/next", 9))
	if res.Position <= before[len(before)-1].GlobalPosition {
		t.Fatalf("append after reopening at position %d, not after %d", res.Position, before[len(before)-1].GlobalPosition)
	}
	verifyChains(t, s2)
}

// testCloseUnderLoad closes a store while appends are in flight. Each append
// must either succeed or fail with ErrClosed (or end with nothing written),
// Close must wait for those in flight, and with a durable store every
// acknowledged append must be there after reopening.
func testCloseUnderLoad(t *testing.T, h Harness) {
	const writers = 8
	loc := h.NewLocation(t)
	s, err := h.Open(testContext(t), loc, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked []events.Event
		errs  []error
	)
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				e := event(fmt.Sprintf("close/%d/%d", w, i), i)
				_, err := s.Append(testContext(t), fmt.Sprintf("close/%d", w), eventstore.Any{}, e)
				mu.Lock()
				switch {
				case err == nil:
					acked = append(acked, e)
				case !errors.Is(err, eventstore.ErrClosed):
					errs = append(errs, err)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	// Close once appends are flowing.
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(acked) + len(errs)
		mu.Unlock()
		if n >= 4*writers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d appends finished within %v", n, waitTimeout)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close under load: %v", err)
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("append during close: %v (want success or ErrClosed)", err)
	}
	_, err = s.Append(testContext(t), "close/after", eventstore.Any{}, event("close/after", 0))
	wantErr(t, "append after close", err, eventstore.ErrClosed)
	if !h.Features.Durable {
		return
	}
	s2 := openAt(t, h, loc, Config{})
	stored := map[string]events.Record{}
	for _, r := range verifyChains(t, s2) {
		stored[r.ID] = r
	}
	for _, e := range acked {
		r, ok := stored[e.ID]
		if !ok {
			t.Fatalf("acknowledged event %s lost across close", e.IdempotencyKey)
		}
		if err := sameEvent(&r.Event, &e); err != nil {
			t.Fatalf("acknowledged event %s: %v", e.IdempotencyKey, err)
		}
	}
	if len(acked) == 0 {
		t.Fatal("no append succeeded before close; the test proved nothing")
	}
}

// testCorrupt damages a closed store with the harness's Corrupt and expects
// Open to refuse it with ErrCorrupt.
func testCorrupt(t *testing.T, h Harness) {
	loc := h.NewLocation(t)
	s, err := h.Open(testContext(t), loc, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := s.Append(testContext(t), fmt.Sprintf("corrupt/%d", i%5), eventstore.Any{}, eventsN(fmt.Sprintf("corrupt/%d", i), 3)...); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	h.Corrupt(t, loc)
	s, err = h.Open(testContext(t), loc, Config{})
	if err == nil {
		s.Close()
		t.Fatal("a corrupted store opened without error")
	}
	wantErr(t, "open of a corrupted store", err, eventstore.ErrCorrupt)
}
