package handlers

import (
	"context"
	"strings"
	"sync"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/extended"
)

// hubCacheSize is how many resolved snapshots and portfolios the handler
// keeps: a world's latest snapshot is read by every pass until the next
// one, so a few suffice.
const hubCacheSize = 4

// hubCache keeps the most recently used snapshots with their references
// resolved, and the portfolios ([extended.Hub]) built from them: a
// snapshot never changes once recorded and its blobs are content-addressed
// (D9), so each is read and parsed once rather than on every pass. It is
// safe for concurrent use.
type hubCache struct {
	mu   sync.Mutex
	data []*hubData
	hubs []cachedHub
}

// cachedHub is a portfolio built for one cohort's candidates under one set
// of portfolio constants: the hub's covariance fill, baseline and every
// risk it returns depend on them, and they come from each world's policy,
// so they are part of the key.
type cachedHub struct {
	data   *hubData
	ids    string
	params extended.Params
	hub    *extended.Hub
}

func newHubCache() *hubCache { return &hubCache{} }

// resolve returns the snapshot with its references resolved, from the
// cache when it was resolved before. A snapshot with a reference that
// could not be read is not kept, so the next pass tries again.
func (c *hubCache) resolve(ctx context.Context, blobs BlobResolver, snap *events.RiskSnapshotRecorded) *hubData {
	if snap == nil {
		return nil
	}
	c.mu.Lock()
	for _, d := range c.data {
		if d.snap.WorldID == snap.WorldID && d.snap.Version == snap.Version && d.snap.Hash == snap.Hash {
			c.mu.Unlock()
			return d
		}
	}
	c.mu.Unlock()
	d := resolveSnapshot(ctx, blobs, snap)
	if len(d.unresolved) == 0 {
		c.mu.Lock()
		c.data = append([]*hubData{d}, c.data...)
		if len(c.data) > hubCacheSize {
			c.data = c.data[:hubCacheSize]
		}
		c.mu.Unlock()
	}
	return d
}

// hub returns the portfolio of a snapshot for a cohort's candidates under
// the portfolio constants p.
func (x *ExtendedValidator) hub(d *hubData, ids []string, p extended.Params) *extended.Hub {
	key := strings.Join(ids, "\x00")
	c := x.hubs
	c.mu.Lock()
	for _, h := range c.hubs {
		if h.data == d && h.ids == key && h.params == p {
			c.mu.Unlock()
			return h.hub
		}
	}
	c.mu.Unlock()
	h := extended.NewHub(d.weights, d.covariance, ids, p)
	c.mu.Lock()
	c.hubs = append([]cachedHub{{data: d, ids: key, params: p, hub: h}}, c.hubs...)
	if len(c.hubs) > hubCacheSize {
		c.hubs = c.hubs[:hubCacheSize]
	}
	c.mu.Unlock()
	return h
}
