package aggregates_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// incremented is the one event of the test counter aggregate.
type incremented struct {
	// Value is the counter after the increment.
	Value int `json:"value"`
}

// counter is a test aggregate whose Apply refuses any increment that was not
// decided against the latest state, so a lost update cannot fold.
type counter struct {
	value   int
	version uint64
}

func (c *counter) Apply(rec *events.Record, payload any) error {
	inc, ok := payload.(*incremented)
	if !ok {
		return fmt.Errorf("unexpected %T", payload)
	}
	if inc.Value != c.value+1 {
		return fmt.Errorf("lost update: increment to %d on a counter at %d", inc.Value, c.value)
	}
	c.value, c.version = inc.Value, rec.StreamVersion
	return nil
}

func (c *counter) increment(reg *events.Registry, key string) ([]events.Event, error) {
	ev, err := reg.New(incremented{Value: c.value + 1}, events.Meta{IdempotencyKey: key})
	if err != nil {
		return nil, err
	}
	return []events.Event{ev}, nil
}

func counterRegistry(t testing.TB) *events.Registry {
	t.Helper()
	reg, err := events.NewRegistry(events.TypeSpec{Name: "Incremented", Payload: incremented{}})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// openStore opens a real sqlite store in a temporary directory.
func openStore(t testing.TB, reg *events.Registry) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), sqlite.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func newRepo(t testing.TB, store eventstore.Store, reg *events.Registry, opts ...aggregates.Option) *aggregates.Repository {
	t.Helper()
	repo, err := aggregates.NewRepository(store, reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func TestNewRepositoryRefusesNil(t *testing.T) {
	reg := counterRegistry(t)
	if _, err := aggregates.NewRepository(nil, reg); err == nil {
		t.Fatal("nil store accepted")
	}
	if _, err := aggregates.NewRepository(openStore(t, reg), nil); err == nil {
		t.Fatal("nil registry accepted")
	}
}

func TestUpdateAppendsAndLoadFolds(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg)

	snap, err := aggregates.Load[counter](ctx, repo, "counter/a")
	if err != nil || snap.Version != 0 || snap.Position != 0 || snap.State.value != 0 {
		t.Fatalf("Load of a missing stream = %+v, %v", snap, err)
	}
	for i := 1; i <= 3; i++ {
		res, err := aggregates.Update(ctx, repo, "counter/a", func(c *counter) ([]events.Event, error) {
			return c.increment(reg, fmt.Sprintf("inc-%d", i))
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.StreamVersion != uint64(i) || res.Duplicate {
			t.Fatalf("update %d: %+v", i, res)
		}
	}
	snap, err = aggregates.Load[counter](ctx, repo, "counter/a")
	if err != nil || snap.State.value != 3 || snap.Version != 3 || snap.Position != 3 {
		t.Fatalf("Load = %+v, %v", snap, err)
	}
	if repo.Store() != eventstore.Store(store) || repo.Registry() != reg {
		t.Fatal("accessors")
	}
}

func TestUpdateWithNoEventsAppendsNothing(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg)
	if _, err := aggregates.Update(ctx, repo, "counter/a", func(c *counter) ([]events.Event, error) { return c.increment(reg, "k") }); err != nil {
		t.Fatal(err)
	}
	res, err := aggregates.Update(ctx, repo, "counter/a", func(*counter) ([]events.Event, error) { return nil, nil })
	if err != nil || res.StreamVersion != 1 || res.Position != 1 || !res.Duplicate {
		t.Fatalf("no-op update = %+v, %v", res, err)
	}
	res, err = aggregates.Update(ctx, repo, "counter/none", func(*counter) ([]events.Event, error) { return nil, nil })
	if err != nil || res.StreamVersion != 0 || !res.Duplicate {
		t.Fatalf("no-op update of a missing stream = %+v, %v", res, err)
	}
	if head, _ := store.Head(ctx); head != 1 {
		t.Fatalf("head %d after no-op updates, want 1", head)
	}
}

func TestUpdateReturnsDomainErrorsAndAppendsNothing(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg)
	calls := 0
	_, err := aggregates.Update(ctx, repo, "counter/a", func(*counter) ([]events.Event, error) {
		calls++
		return nil, errcode.New(errcode.Validation, "no")
	})
	if errcode.CodeOf(err) != errcode.Validation || calls != 1 {
		t.Fatalf("Update = %v after %d calls", err, calls)
	}
	if head, _ := store.Head(ctx); head != 0 {
		t.Fatalf("head %d", head)
	}
}

func TestUpdateRetriesTheWholeDecisionOnConflict(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg)
	calls := 0
	res, err := aggregates.Update(ctx, repo, "counter/a", func(c *counter) ([]events.Event, error) {
		calls++
		if calls == 1 {
			// Another writer gets in between this load and its append.
			other := &counter{value: c.value}
			evs, _ := other.increment(reg, "rival")
			if _, err := store.Append(ctx, "counter/a", eventstore.NoStream{}, evs...); err != nil {
				t.Fatal(err)
			}
		}
		return c.increment(reg, "mine")
	})
	if err != nil || calls != 2 || res.StreamVersion != 2 {
		t.Fatalf("Update = %+v, %v after %d decisions", res, err, calls)
	}
	snap, err := aggregates.Load[counter](ctx, repo, "counter/a")
	if err != nil || snap.State.value != 2 {
		t.Fatalf("Load = %+v, %v", snap, err)
	}
}

// rivalDecider returns a decider that lets another writer append to the
// stream before every one of its own appends, so every attempt conflicts.
func rivalDecider(t *testing.T, store eventstore.Store, reg *events.Registry, calls *int) aggregates.Decider[*counter] {
	return func(c *counter) ([]events.Event, error) {
		*calls++
		rival := &counter{value: c.value}
		evs, _ := rival.increment(reg, fmt.Sprintf("rival-%d", *calls))
		var expected eventstore.ExpectedVersion = eventstore.Exact(c.version)
		if c.version == 0 {
			expected = eventstore.NoStream{}
		}
		if _, err := store.Append(context.Background(), "counter/a", expected, evs...); err != nil {
			t.Error(err)
		}
		return c.increment(reg, fmt.Sprintf("mine-%d", *calls))
	}
}

func TestUpdateGivesUpAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg, aggregates.WithMaxAttempts(4))
	calls := 0
	_, err := aggregates.Update(ctx, repo, "counter/a", rivalDecider(t, store, reg, &calls))
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) || errcode.CodeOf(err) != errcode.Conflict || calls != 4 {
		t.Fatalf("Update = %v after %d decisions, want a conflict after 4", err, calls)
	}
}

func TestUpdateHonoursContextBetweenAttempts(t *testing.T) {
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg, aggregates.WithMaxAttempts(1000))
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	decide := rivalDecider(t, store, reg, &calls)
	start := time.Now()
	_, err := aggregates.Update(ctx, repo, "counter/a", func(c *counter) ([]events.Event, error) {
		if calls == 5 {
			cancel()
		}
		return decide(c)
	})
	if !errors.Is(err, context.Canceled) || calls != 6 {
		t.Fatalf("Update = %v after %d decisions, want context.Canceled after 6", err, calls)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Update took %v to notice cancellation", d)
	}
}

func TestConcurrentDecidersConvergeWithoutLostUpdates(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	const workers, perWorker = 8, 15
	repo := newRepo(t, store, reg, aggregates.WithMaxAttempts(workers*perWorker))
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				key := fmt.Sprintf("w%d-%d", w, i)
				_, err := aggregates.Update(ctx, repo, "counter/hot", func(c *counter) ([]events.Event, error) {
					return c.increment(reg, key)
				})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The counter's Apply refuses any increment not decided on the latest
	// state, so a successful fold to workers*perWorker proves that every
	// update landed exactly once and none was lost.
	snap, err := aggregates.Load[counter](ctx, repo, "counter/hot")
	if err != nil {
		t.Fatal(err)
	}
	if snap.State.value != workers*perWorker || snap.Version != workers*perWorker {
		t.Fatalf("counter %d at version %d, want %d", snap.State.value, snap.Version, workers*perWorker)
	}
	recs, err := store.ReadStream(ctx, "counter/hot", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := make(map[string]bool)
	for _, r := range recs {
		if keys[r.IdempotencyKey] {
			t.Fatalf("key %s appended twice", r.IdempotencyKey)
		}
		keys[r.IdempotencyKey] = true
	}
}

func TestLoadReadsLongStreamsInPages(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg)
	const n = 1300 // more than two pages
	batch := make([]events.Event, 0, 100)
	for v := 1; v <= n; v++ {
		ev, err := reg.New(incremented{Value: v}, events.Meta{IdempotencyKey: fmt.Sprintf("k%d", v)})
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, ev)
		if len(batch) == cap(batch) || v == n {
			if _, err := store.Append(ctx, "counter/long", eventstore.Exact(uint64(v-len(batch))), batch...); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	snap, err := aggregates.Load[counter](ctx, repo, "counter/long")
	if err != nil || snap.State.value != n || snap.Version != n || snap.Position != n {
		t.Fatalf("Load = %+v, %v", snap, err)
	}
}

func TestLoadReportsUnfoldableHistory(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg)
	ev, _ := reg.New(incremented{Value: 5}, events.Meta{IdempotencyKey: "k"})
	if _, err := store.Append(ctx, "counter/bad", eventstore.NoStream{}, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := aggregates.Load[counter](ctx, repo, "counter/bad"); err == nil {
		t.Fatal("Load folded a lost update")
	}
	calls := 0
	if _, err := aggregates.Update(ctx, repo, "counter/bad", func(*counter) ([]events.Event, error) { calls++; return nil, nil }); err == nil || calls != 0 {
		t.Fatalf("Update decided on unfoldable history: %v, %d calls", err, calls)
	}
	// A payload type the repository's registry does not know.
	other := newRepo(t, store, events.Catalogue())
	if _, err := aggregates.Load[counter](ctx, other, "counter/bad"); !errors.Is(err, events.ErrUnknownType) {
		t.Fatalf("Load with a foreign registry = %v", err)
	}
}

func TestFold(t *testing.T) {
	reg := counterRegistry(t)
	var recs []events.Record
	for v := 1; v <= 3; v++ {
		ev, _ := reg.New(incremented{Value: v}, events.Meta{IdempotencyKey: fmt.Sprint(v)})
		recs = append(recs, events.Record{Event: ev, StreamVersion: uint64(v)})
	}
	c, err := aggregates.Fold[counter](reg, recs)
	if err != nil || c.value != 3 || c.version != 3 {
		t.Fatalf("Fold = %+v, %v", c, err)
	}
	if _, err := aggregates.Fold[counter](reg, append(recs, recs[0])); err == nil {
		t.Fatal("Fold accepted a lost update")
	}
}
