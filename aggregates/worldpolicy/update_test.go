package worldpolicy_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// TestConcurrentPublicationsGetDistinctVersions publishes from several
// goroutines at once through the real store: every publication lands once,
// versions are 1…n without gaps, and exactly one default (version 1) is set.
func TestConcurrentPublicationsGetDistinctVersions(t *testing.T) {
	ctx := context.Background()
	reg := events.Catalogue()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"), sqlite.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const n = 12
	repo, err := aggregates.NewRepository(store, reg, aggregates.WithMaxAttempts(n+1))
	if err != nil {
		t.Fatal(err)
	}
	stream, _ := events.PolicyStream("w1")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := publish(fmt.Sprintf("pub-%d", i), fmt.Sprintf(`{"n":%d}`, i))
			_, errs[i] = aggregates.Update(ctx, repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
				return p.Publish(reg, cmd)
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("publication %d: %v", i, err)
		}
	}
	snap, err := aggregates.Load[worldpolicy.Policy](ctx, repo, stream)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(snap.State.Versions(), want) || snap.State.DefaultVersion() != 1 || snap.Version != n+1 {
		t.Fatalf("versions %v default %d stream version %d", snap.State.Versions(), snap.State.DefaultVersion(), snap.Version)
	}
	docs := make(map[string]bool)
	for v := 1; v <= n; v++ {
		d, _ := snap.State.Document(v)
		docs[string(d)] = true
	}
	if len(docs) != n {
		t.Fatalf("%d distinct documents, want %d", len(docs), n)
	}

	// Set the default, retry it, and ask for a version that does not exist.
	setDef := func(key string, v int) (bool, error) {
		res, err := aggregates.Update(ctx, repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
			return p.SetDefault(reg, setDefault(key, v))
		})
		return res.Duplicate, err
	}
	if dup, err := setDef("d-5", 5); err != nil || dup {
		t.Fatalf("SetDefault(5) = %v, %v", dup, err)
	}
	if dup, err := setDef("d-5", 5); err != nil || !dup {
		t.Fatalf("retried SetDefault(5) = %v, %v", dup, err)
	}
	if _, err := setDef("d-99", 99); errcode.CodeOf(err) != errcode.PolicyVersionNotFound {
		t.Fatalf("SetDefault(99) = %v", err)
	}
	snap, _ = aggregates.Load[worldpolicy.Policy](ctx, repo, stream)
	if snap.State.DefaultVersion() != 5 {
		t.Fatalf("default %d", snap.State.DefaultVersion())
	}
}
