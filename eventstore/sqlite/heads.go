package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/internal/genmap"
)

// headsGeneration is how many heads each of the cache's two generations
// holds (see [genmap.Map]): a stream's head stays while fewer than that many
// other streams were appended to since. Appends to a stream come in a short
// burst (a run's events are appended within milliseconds of each other), so
// a few thousand cover the streams in flight at thousands of appends a
// second, and the cache holds no more objects than that for the collector
// to mark.
const headsGeneration = 1 << 12

// streamHead is a stream's id (0 while the stream has none: no events), its
// version and the hash of its last event.
type streamHead struct {
	id      int64
	version uint64
	hash    string
}

// headCache spares an append the read of its stream's row when the writer
// knows the head already: from its own commits, or from a read earlier in the
// group. It is owned by the writer goroutine.
//
// Heads written by the current group stay pending until the group commits,
// so an aborted group leaves the cache as it was. A commit by another
// connection to the file (another process) changes PRAGMA data_version, and
// the cache is then dropped before the next group reads from it.
type headCache struct {
	committed   *genmap.Map[string, streamHead]
	pending     map[string]streamHead
	dataVersion int64
	// lastID is the greatest stream id handed out or stored, 0 when the
	// cache does not know it yet.
	lastID int64
}

// begin starts a group; call it inside the group's transaction, which holds
// the write lock, so no other connection can commit until the group ends. It
// reports whether another connection may have committed since the writer's
// last group (always so for the first group), which the in-memory tail of
// records needs to know too.
func (c *headCache) begin(ctx context.Context, dataVersion *sql.Stmt) (foreign bool, err error) {
	var v int64
	if err := dataVersion.QueryRowContext(ctx).Scan(&v); err != nil {
		return false, err
	}
	foreign = v != c.dataVersion || c.committed == nil
	if foreign {
		c.committed = genmap.New[string, streamHead](headsGeneration)
		c.dataVersion = v
		c.lastID = 0
	}
	if c.pending == nil {
		c.pending = make(map[string]streamHead)
	}
	return foreign, nil
}

// get returns the head of stream as the group sees it, reading the streams
// table on a miss. A stream with no events is at version 0 with the genesis
// hash.
func (c *headCache) get(ctx context.Context, w *writer, stream string) (streamHead, error) {
	if h, ok := c.pending[stream]; ok {
		return h, nil
	}
	if h, ok := c.committed.Get(stream); ok {
		return h, nil
	}
	var id, version int64
	var hash string
	switch err := w.stmts.streamHead.QueryRowContext(ctx, stream).Scan(&id, &version, &hash); {
	case errors.Is(err, sql.ErrNoRows):
		return streamHead{version: 0, hash: events.GenesisHash}, nil
	case err != nil:
		return streamHead{}, err
	}
	// Committed data: the pending appends of this group are in pending.
	h := streamHead{id: id, version: uint64(version), hash: hash}
	c.committed.Put(stream, h)
	return h, nil
}

// newID hands out the id of a new stream: one more than the greatest stored
// or handed out, so ids follow the streams' creation (see schemaV2). The
// group holds the write lock, and a commit by another connection resets the
// count (see begin), so no other writer takes the same id. Were the count
// stale all the same, the append would fail on UNIQUE (stream_id, version),
// since every stored stream has its version 1: it would never write into
// another stream. An id handed to an append that is then rejected, or to a
// group that aborts, is never stored: ids may have gaps, which nothing
// minds.
func (c *headCache) newID(ctx context.Context, w *writer) (int64, error) {
	if c.lastID == 0 {
		if err := w.stmts.lastStreamID.QueryRowContext(ctx).Scan(&c.lastID); err != nil {
			return 0, fmt.Errorf("read the last stream id: %w", err)
		}
	}
	c.lastID++
	return c.lastID, nil
}

// set records the head an append of this group moved stream to.
func (c *headCache) set(stream string, h streamHead) { c.pending[stream] = h }

// forget drops what the cache knows of stream, and the last stream id too: a
// stream that moved behind the writer's back means another writer, which
// may have started streams of its own.
func (c *headCache) forget(stream string) {
	c.lastID = 0
	delete(c.pending, stream)
	if c.committed != nil {
		c.committed.Delete(stream)
	}
}

// commit makes the group's heads committed.
func (c *headCache) commit() {
	for s, h := range c.pending {
		c.committed.Put(s, h)
	}
	clear(c.pending)
}

// abort forgets the group's heads.
func (c *headCache) abort() { clear(c.pending) }
