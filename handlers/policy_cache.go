package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/validation/policy"
)

// policyCache finds a world's default policy for the extended-layer
// handlers. It keeps each world's policy stream once read — its owner
// reports every event of a world-policy stream it handles ([policyCache.observe]),
// which makes the next look-up read the stream again — and each parsed
// version (a published version never changes). It is safe for concurrent
// use.
type policyCache struct {
	repo    *aggregates.Repository
	mu      sync.Mutex
	docs    map[policyID]*policy.Policy
	streams map[string][]events.Record // world → its policy stream as last read
}

// policyID names one version of a world's policy.
type policyID struct {
	world   string
	version int
}

func newPolicyCache(repo *aggregates.Repository) *policyCache {
	return &policyCache{repo: repo, docs: map[policyID]*policy.Policy{}, streams: map[string][]events.Record{}}
}

// observe forgets the policy stream of the world of a world-policy event,
// so that the next look-up sees it.
func (c *policyCache) observe(rec *events.Record) {
	if !strings.HasPrefix(rec.Stream, events.CategoryWorldPolicy+"/") {
		return
	}
	if _, ids, err := events.ParseStream(rec.Stream); err == nil && len(ids) == 1 {
		c.mu.Lock()
		delete(c.streams, ids[0])
		c.mu.Unlock()
	}
}

// records returns a world's policy stream, from the cache when it holds
// it; a world without one has none.
func (c *policyCache) records(ctx context.Context, world, stream string) ([]events.Record, error) {
	c.mu.Lock()
	recs, ok := c.streams[world]
	c.mu.Unlock()
	if ok {
		return recs, nil
	}
	recs, err := c.repo.Store().ReadStream(ctx, stream, 1, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		recs, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	c.mu.Lock()
	c.streams[world] = recs
	c.mu.Unlock()
	return recs, nil
}

// latest returns the world's default policy now; see [policyCache.at].
func (c *policyCache) latest(ctx context.Context, world string) (*policy.Policy, int, error) {
	return c.at(ctx, world, math.MaxUint64)
}

// at returns the world's default policy as of global position at, parsed,
// and its version; nil when the world had none then (or its stored
// document no longer parses, which the evaluator reports on every run).
func (c *policyCache) at(ctx context.Context, world string, at uint64) (*policy.Policy, int, error) {
	stream, err := events.PolicyStream(world)
	if err != nil {
		return nil, 0, nil
	}
	recs, err := c.records(ctx, world, stream)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	for n < len(recs) && recs[n].GlobalPosition <= at {
		n++
	}
	state, err := aggregates.Fold[worldpolicy.Policy](c.repo.Registry(), recs[:n])
	if err != nil {
		return nil, 0, err
	}
	version := state.DefaultVersion()
	if version == 0 {
		return nil, 0, nil
	}
	doc, ok := state.Document(version)
	if !ok {
		return nil, 0, nil
	}
	p, err := c.parse(policyID{world, version}, doc)
	if err != nil {
		return nil, 0, nil
	}
	return p, version, nil
}

// parse returns version id of a world's policy parsed, parsing doc (that
// version's stored document) only on the first call. A parse error is
// returned and not kept. The evaluator shares it: reusing the parsed policy
// also reuses its memoized materializations and ruleset hashes, which cost
// more than evaluating the rules.
func (c *policyCache) parse(id policyID, doc []byte) (*policy.Policy, error) {
	c.mu.Lock()
	p, ok := c.docs[id]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := policy.Parse(doc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.docs[id] = p
	c.mu.Unlock()
	return p, nil
}
