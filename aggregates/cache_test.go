package aggregates_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// countingStore counts the records ReadStream returns, to prove that a
// cached update does not replay the stream.
type countingStore struct {
	eventstore.Store
	read atomic.Int64
}

func (s *countingStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]events.Record, error) {
	recs, err := s.Store.ReadStream(ctx, stream, from, limit)
	s.read.Add(int64(len(recs)))
	return recs, err
}

func newCache(t *testing.T, repo *aggregates.Repository) *aggregates.Cache[counter, *counter] {
	t.Helper()
	c, err := aggregates.NewCache[counter](repo)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func increment(reg *events.Registry, key string) aggregates.Decider[*counter] {
	return func(c *counter) ([]events.Event, error) { return c.increment(reg, key) }
}

func TestNewCacheRefusesNil(t *testing.T) {
	if _, err := aggregates.NewCache[counter](nil); err == nil {
		t.Fatal("nil repository accepted")
	}
}

func TestCacheReadsOnlyTheTail(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := &countingStore{Store: openStore(t, reg)}
	repo := newRepo(t, store, reg)
	cache := newCache(t, repo)
	const n = 300
	for i := range n {
		if _, err := cache.Update(ctx, "counter/a", increment(reg, fmt.Sprintf("k%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	// Each update reads back exactly the event it appended: n records in
	// all, where Update would read n(n+1)/2.
	if got := store.read.Load(); got != n {
		t.Fatalf("read %d records for %d cached updates, want %d", got, n, n)
	}
	before := store.read.Load()
	version, err := cache.View(ctx, "counter/a", func(c *counter) {
		if c.value != n {
			t.Errorf("value %d", c.value)
		}
	})
	if err != nil || version != n || store.read.Load() != before {
		t.Fatalf("View = %d, %v; read %d more records", version, err, store.read.Load()-before)
	}
}

func TestCacheFollowsOtherWriters(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg)
	mine, theirs := newCache(t, repo), newCache(t, repo) // two processes
	for i := range 10 {
		c := mine
		if i%3 == 0 {
			c = theirs
		}
		if _, err := c.Update(ctx, "counter/a", increment(reg, fmt.Sprintf("k%d", i))); err != nil {
			t.Fatal(err) // a lost update would fail the counter's Apply
		}
	}
	// A plain Update (no cache) in between is seen too.
	if _, err := aggregates.Update(ctx, repo, "counter/a", increment(reg, "plain")); err != nil {
		t.Fatal(err)
	}
	res, err := mine.Update(ctx, "counter/a", increment(reg, "last"))
	if err != nil || res.StreamVersion != 12 {
		t.Fatalf("Update = %+v, %v", res, err)
	}
}

func TestCacheRetriesOnConflict(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg)
	cache := newCache(t, repo)
	calls := 0
	res, err := cache.Update(ctx, "counter/a", func(c *counter) ([]events.Event, error) {
		calls++
		if calls == 1 {
			rival := &counter{value: c.value}
			evs, _ := rival.increment(reg, "rival")
			if _, err := store.Append(ctx, "counter/a", eventstore.NoStream{}, evs...); err != nil {
				t.Fatal(err)
			}
		}
		return c.increment(reg, "mine")
	})
	if err != nil || calls != 2 || res.StreamVersion != 2 {
		t.Fatalf("Update = %+v, %v after %d decisions", res, err, calls)
	}
}

func TestCacheConcurrentCommands(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	store := openStore(t, reg)
	repo := newRepo(t, store, reg, aggregates.WithMaxAttempts(100))
	caches := []*aggregates.Cache[counter, *counter]{newCache(t, repo), newCache(t, repo)}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := range 40 {
		wg.Go(func() {
			_, err := caches[g%2].Update(ctx, fmt.Sprintf("counter/%d", g%3), increment(reg, fmt.Sprintf("g%d", g)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for s := range 3 {
		snap, err := aggregates.Load[counter](ctx, repo, fmt.Sprintf("counter/%d", s))
		if err != nil {
			t.Fatal(err)
		}
		total += snap.State.value
	}
	if total != 40 {
		t.Fatalf("%d increments recorded, want 40", total)
	}
}

func TestCacheAcrossRestart(t *testing.T) {
	ctx := context.Background()
	reg := counterRegistry(t)
	path := filepath.Join(t.TempDir(), "events.db")
	open := func() *sqlite.Store {
		s, err := sqlite.Open(ctx, path, sqlite.WithRegistry(reg))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	store := open()
	cache := newCache(t, newRepo(t, store, reg))
	for i := range 5 {
		if _, err := cache.Update(ctx, "counter/a", increment(reg, fmt.Sprintf("k%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	store = open()
	defer store.Close()
	counting := &countingStore{Store: store}
	cache = newCache(t, newRepo(t, counting, reg))
	// A retried command (same key) is a no-op; a new one continues at 6.
	res, err := cache.Update(ctx, "counter/a", func(c *counter) ([]events.Event, error) {
		if c.value != 5 {
			t.Errorf("state after restart %d", c.value)
		}
		return c.increment(reg, "k5")
	})
	if err != nil || res.StreamVersion != 6 {
		t.Fatalf("Update after restart = %+v, %v", res, err)
	}
	if got := counting.read.Load(); got != 6 {
		t.Fatalf("read %d records after a restart, want 6 (one fold, then the new event)", got)
	}
	cache.Forget("counter/a")
	if _, err := cache.View(ctx, "counter/a", func(c *counter) {
		if c.value != 6 {
			t.Errorf("after Forget %d", c.value)
		}
	}); err != nil {
		t.Fatal(err)
	}
}
