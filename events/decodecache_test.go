package events

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// runSubmitted builds a stored-looking EvaluationRunSubmitted event.
func runSubmitted(t testing.TB, reg *Registry, run string, returns ...float64) Event {
	t.Helper()
	rs := make(ReturnSeries, len(returns))
	for i := range returns {
		rs[i] = &returns[i]
	}
	ev, err := reg.New(EvaluationRunSubmitted{WorldID: "w", StrategyID: "s", RunID: run, Stage: "backtest", Returns: rs, Metrics: []byte(`{"returns":{"sharpe":1}}`)}, Meta{IdempotencyKey: "k-" + run})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestDecodeCacheAnswersTheSameEventWithItsOwnCopy(t *testing.T) {
	reg := Catalogue()
	ev := runSubmitted(t, reg, "r1", 0.01, -0.02)
	first, err := DecodeAs[EvaluationRunSubmitted](reg, &ev)
	if err != nil {
		t.Fatal(err)
	}
	stored := ev // as a subscriber gets it: its own copy of the bytes
	stored.Payload = bytes.Clone(ev.Payload)
	second, err := DecodeAs[EvaluationRunSubmitted](reg, &stored)
	if err != nil {
		t.Fatal(err)
	}
	if first == second || !reflect.DeepEqual(first, second) {
		t.Fatalf("second decode %+v (same pointer %v), want an equal copy of %+v", second, first == second, first)
	}
	first.RunID, first.Stage = "changed", "live"
	third, err := DecodeAs[EvaluationRunSubmitted](reg, &stored)
	if err != nil || third.RunID != "r1" || third.Stage != "backtest" {
		t.Fatalf("after a caller set fields of its copy, a decode gives %+v, %v", third, err)
	}
	if _, ok := reg.decoded.get(&stored); !ok {
		t.Fatal("the event is not in the cache")
	}
}

func TestDecodeCacheNeverAnswersOtherBytes(t *testing.T) {
	reg := Catalogue()
	ev := runSubmitted(t, reg, "r1", 0.01)
	if _, err := reg.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	// The same id with another payload, type or version is decoded anew.
	other := runSubmitted(t, reg, "r2", 0.5)
	forged := ev
	forged.Payload = other.Payload
	got, err := DecodeAs[EvaluationRunSubmitted](reg, &forged)
	if err != nil || got.RunID != "r2" {
		t.Fatalf("same id, other payload: %+v, %v", got, err)
	}
	renamed := ev
	renamed.Type = TypeMetricsComputed
	if _, err := reg.Decode(&renamed); err == nil {
		t.Fatal("same id and bytes under another type decoded without error (from the cache?)")
	}
	futureVersion := ev
	futureVersion.SchemaVersion = 2
	if _, err := reg.Decode(&futureVersion); err == nil {
		t.Fatal("an unknown schema version decoded (from the cache?)")
	}

	// A caller that reuses its payload buffer after decoding cannot change
	// what the cache answers for the original bytes.
	buf := bytes.Clone(ev.Payload)
	reused := ev
	reused.Payload = buf
	if _, err := reg.Decode(&reused); err != nil {
		t.Fatal(err)
	}
	copy(buf, other.Payload[:min(len(buf), len(other.Payload))])
	again, err := DecodeAs[EvaluationRunSubmitted](reg, &ev)
	if err != nil || again.RunID != "r1" || *again.Returns[0] != 0.01 {
		t.Fatalf("after the caller rewrote its buffer, the original event decodes as %+v, %v", again, err)
	}
}

func TestDecodeCacheIsBounded(t *testing.T) {
	reg := Catalogue()
	first := runSubmitted(t, reg, "r0", 0.01)
	if _, err := reg.Decode(&first); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= decodeCacheEntries; i++ {
		ev := runSubmitted(t, reg, fmt.Sprintf("r%d", i), 0.01)
		if _, err := reg.Decode(&ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(reg.decoded.entries); n != decodeCacheEntries {
		t.Fatalf("%d entries, want the bound %d", n, decodeCacheEntries)
	}
	if _, ok := reg.decoded.get(&first); ok {
		t.Fatal("the oldest entry was not evicted")
	}
	big := Event{ID: IDFromKey("big"), Type: TypeMetricsComputed, SchemaVersion: 1,
		Payload: []byte(`{"metrics":{"x":"` + string(bytes.Repeat([]byte("a"), decodeCacheMaxPayload)) + `"}}`)}
	if _, err := reg.Decode(&big); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.decoded.get(&big); ok {
		t.Fatal("a payload over the size bound was cached")
	}
}

func TestDecodeCacheConcurrentUse(t *testing.T) {
	reg := Catalogue()
	evs := make([]Event, 64)
	for i := range evs {
		evs[i] = runSubmitted(t, reg, fmt.Sprintf("r%d", i), float64(i))
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for round := 0; round < 20; round++ {
				for i := range evs {
					ev := evs[(i+g)%len(evs)]
					p, err := DecodeAs[EvaluationRunSubmitted](reg, &ev)
					if err != nil {
						t.Error(err)
						return
					}
					if want := fmt.Sprintf("r%d", (i+g)%len(evs)); p.RunID != want || *p.Returns[0] != float64((i+g)%len(evs)) {
						t.Errorf("decoded %s %v, want %s", p.RunID, *p.Returns[0], want)
						return
					}
					p.Stage = "scribbled" // each caller's own struct
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkDecodeCached(b *testing.B) {
	reg := Catalogue()
	returns := make([]float64, 252)
	for i := range returns {
		returns[i] = float64(i%17-8) / 1000
	}
	ev := runSubmitted(b, reg, "r1", returns...)
	b.Run("miss", func(b *testing.B) {
		fresh := Catalogue()
		fresh.decoded = nil
		for b.Loop() {
			if _, err := fresh.Decode(&ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit", func(b *testing.B) {
		for b.Loop() {
			if _, err := reg.Decode(&ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
