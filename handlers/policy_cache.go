package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/validation/policy"
	"golang.org/x/sync/singleflight"
)

// policyCache finds a world's policies as of a global position, for the
// evaluator and the extended-layer handlers. It reads a world's policy
// stream once and keeps what it says — each published document and each
// change of the default, with its global position — until its owner reports
// an event of that stream the read did not include ([policyCache.observe]);
// parsed versions are kept for good (a published version never changes).
// Its owner must report every event it is handed, in global order, and not
// concurrently with look-ups: that is what keeps a kept world current. It is
// safe for concurrent use.
type policyCache struct {
	repo   *aggregates.Repository
	mu     sync.Mutex
	docs   map[policyID]*policy.Policy
	worlds map[string]*worldPolicies
	// reads makes concurrent look-ups of a world the cache does not hold
	// share one read of its stream.
	reads singleflight.Group
}

// policyID names one version of a world's policy.
type policyID struct {
	world   string
	version int
}

// worldPolicies is what a world's policy stream says, each fact with the
// global position from which it holds, so that a look-up as of a position
// sees the stream as it was then even when the read went further.
type worldPolicies struct {
	documents map[int]publishedDoc
	// defaults are the changes of the default version, in stream order.
	defaults []defaultChange
	// version is the stream version the read reached: an event of the
	// stream up to it is already known.
	version uint64
}

// publishedDoc is one PolicyPublished: the document of a version, published
// at position.
type publishedDoc struct {
	position uint64
	doc      json.RawMessage
}

// defaultChange is one DefaultPolicySet: from position on, version is the
// default.
type defaultChange struct {
	position uint64
	version  int
}

func newPolicyCache(repo *aggregates.Repository) *policyCache {
	return &policyCache{repo: repo, docs: map[policyID]*policy.Policy{}, worlds: map[string]*worldPolicies{}}
}

// observe forgets the policies of the world of a world-policy event that
// the kept read of its stream does not include, so that the next look-up
// reads the stream again. An event the read already saw (it was appended
// before the read, and is delivered after it) changes nothing: look-ups
// are by position, so the kept read answers for it already.
func (c *policyCache) observe(rec *events.Record) {
	if !strings.HasPrefix(rec.Stream, events.CategoryWorldPolicy+"/") {
		return
	}
	if _, ids, err := events.ParseStream(rec.Stream); err == nil && len(ids) == 1 {
		c.mu.Lock()
		if w, ok := c.worlds[ids[0]]; ok && rec.StreamVersion > w.version {
			delete(c.worlds, ids[0])
		}
		c.mu.Unlock()
	}
}

// latest returns the world's default policy now; see [policyCache.at].
func (c *policyCache) latest(ctx context.Context, world string) (*policy.Policy, int, error) {
	return c.at(ctx, world, math.MaxUint64)
}

// at returns the world's default policy as of global position at, parsed,
// and its version; nil when the world had none then (or its stored
// document no longer parses, which the evaluator reports on every run).
func (c *policyCache) at(ctx context.Context, world string, at uint64) (*policy.Policy, int, error) {
	w, err := c.world(ctx, world)
	if err != nil || w == nil {
		return nil, 0, err
	}
	version := 0
	for _, d := range w.defaults {
		if d.position > at {
			break
		}
		version = d.version
	}
	if version == 0 {
		return nil, 0, nil
	}
	doc, ok := w.documents[version]
	if !ok || doc.position > at {
		return nil, 0, nil
	}
	p, err := c.parse(policyID{world, version}, doc.doc)
	if err != nil {
		return nil, 0, nil
	}
	return p, version, nil
}

// document returns the stored document of a world's policy version as of
// global position at: version itself, or when it is 0 the world's default
// version then. The version returned is 0 when the world had no default
// then; ok is false when the version was not published by then (a version
// published later is invisible, as if it did not exist).
func (c *policyCache) document(ctx context.Context, world string, at uint64, version int) (doc json.RawMessage, v int, ok bool, err error) {
	w, err := c.world(ctx, world)
	if err != nil || w == nil {
		return nil, version, false, err
	}
	if version == 0 {
		for _, d := range w.defaults {
			if d.position > at {
				break
			}
			version = d.version
		}
		if version == 0 {
			return nil, 0, false, nil
		}
	}
	pub, ok := w.documents[version]
	if !ok || pub.position > at {
		return nil, version, false, nil
	}
	return pub.doc, version, true, nil
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

// world returns what a world's policy stream says, reading it when the
// cache does not hold it; nil for a world without policies.
func (c *policyCache) world(ctx context.Context, world string) (*worldPolicies, error) {
	c.mu.Lock()
	w, ok := c.worlds[world]
	c.mu.Unlock()
	if ok {
		return w, nil
	}
	stream, err := events.PolicyStream(world)
	if err != nil {
		return nil, nil
	}
	v, err, _ := c.reads.Do(world, func() (any, error) { return c.read(ctx, world, stream) })
	if err != nil {
		return nil, err
	}
	return v.(*worldPolicies), nil
}

// read reads a world's policy stream and keeps what it says.
func (c *policyCache) read(ctx context.Context, world, stream string) (*worldPolicies, error) {
	recs, err := c.repo.Store().ReadStream(ctx, stream, 1, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		recs, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	w := &worldPolicies{documents: map[int]publishedDoc{}}
	for i := range recs {
		w.version = recs[i].StreamVersion
		switch payload, err := c.repo.Registry().Decode(&recs[i].Event); p := payload.(type) {
		case nil:
			return nil, fmt.Errorf("read %s: %w", stream, err)
		case *events.PolicyPublished:
			w.documents[p.PolicyVersion] = publishedDoc{position: recs[i].GlobalPosition, doc: p.Policy}
		case *events.DefaultPolicySet:
			w.defaults = append(w.defaults, defaultChange{position: recs[i].GlobalPosition, version: p.PolicyVersion})
		}
	}
	c.mu.Lock()
	c.worlds[world] = w
	c.mu.Unlock()
	return w, nil
}
