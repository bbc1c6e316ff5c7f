package projections

import (
	"context"
	"errors"
	"fmt"
)

// Sentinel errors callers branch on. Stores and projections wrap them with
// context.
var (
	// ErrNotFound reports a key, run, world or policy version that the read
	// model does not hold. The HTTP layer maps it to 404.
	ErrNotFound = errors.New("not found")
	// ErrCheckpointMismatch reports a commit whose expected checkpoint is not
	// the stored one: another writer advanced the projection (a lost lease)
	// or the projection was rebuilt underneath. Nothing was written.
	ErrCheckpointMismatch = errors.New("projection checkpoint mismatch")
	// ErrInvalidBatch reports a batch a store refuses as a whole (an empty
	// key, a checkpoint moving backwards, an unknown write). Nothing was
	// written.
	ErrInvalidBatch = errors.New("invalid projection batch")
	// ErrInvalidQuery reports a query with a filter value outside its
	// domain (an unknown status or verdict). The HTTP layer maps it to 400.
	ErrInvalidQuery = errors.New("invalid query")
	// ErrInvalidCursor reports a paging cursor that this package did not
	// issue. The HTTP layer maps it to 400.
	ErrInvalidCursor = errors.New("invalid cursor")
)

// Store keeps the data and checkpoints of projections. It offers exactly what
// a key-value server can do atomically: plain values by key, sorted sets of
// string members read in byte order, and one commit that applies a batch of
// writes together with a compare-and-set of the projection's checkpoint (an
// in-memory lock here; WATCH/MULTI/EXEC or one Lua script on Redis, with each
// set a ZSET read by ZRANGEBYLEX).
//
// Implementations are safe for concurrent use: any number of readers may run
// while one projection commits, and every read sees either all of a batch or
// none of it. A multi-read query is not one snapshot, so projections re-check
// what they read. Keys and set names are opaque byte strings; projections
// prefix them with their own name, so several projections can share a store.
type Store interface {
	// Get returns the value stored under key, or an error wrapping
	// [ErrNotFound]. The caller must not modify the returned slice.
	Get(ctx context.Context, key string) ([]byte, error)
	// Range returns up to limit members of the sorted set named set that
	// are >= from, in ascending byte order; a limit <= 0 means no limit. A
	// set that does not exist is empty.
	Range(ctx context.Context, set, from string, limit int) ([]string, error)
	// Checkpoint returns the global position up to which the projection
	// name has committed, 0 when it never committed.
	Checkpoint(ctx context.Context, name string) (uint64, error)
	// Commit applies the writes of b in order and moves the checkpoint of
	// b.Projection from b.From to b.To, all or nothing. It fails with
	// [ErrCheckpointMismatch] when the stored checkpoint is not b.From and
	// with [ErrInvalidBatch] when b is malformed; in both cases, and on any
	// other error, nothing is written. Commit takes ownership of the values
	// in b.
	Commit(ctx context.Context, b Batch) error
}

// Batch is one atomic commit of a projection: its writes and its new
// checkpoint.
type Batch struct {
	// Projection names the projection whose checkpoint moves.
	Projection string
	// From is the checkpoint the projection read before folding.
	From uint64
	// To is the global position of the last event folded; To >= From.
	To uint64
	// Writes are applied in order; a later write to the same key or member
	// wins.
	Writes []Write
}

// Write is one change in a [Batch]. It is a sealed sum type: the only
// implementations are [Put], [Delete], [AddMember] and [RemoveMember].
type Write interface {
	isWrite()
}

// Put stores Value under Key, replacing any previous value.
type Put struct {
	// Key is the key written.
	Key string
	// Value is the new value (not nil); the store takes ownership.
	Value []byte
	// obj is set instead of Value, only by this package, in the writes a
	// projection hands a store that keeps Go values (see valueStore): the
	// value itself, which the store encodes when a reader first asks for
	// it. Stores that keep bytes never receive such a Put.
	obj any
}

// Delete removes Key; deleting a missing key is not an error.
type Delete struct {
	// Key is the key removed.
	Key string
}

// AddMember adds Member to the sorted set Set; adding a present member is not
// an error.
type AddMember struct {
	// Set names the sorted set.
	Set string
	// Member is the member added.
	Member string
}

// RemoveMember removes Member from the sorted set Set; removing a missing
// member is not an error. A set left empty ceases to exist.
type RemoveMember struct {
	// Set names the sorted set.
	Set string
	// Member is the member removed.
	Member string
}

func (Put) isWrite()          {}
func (Delete) isWrite()       {}
func (AddMember) isWrite()    {}
func (RemoveMember) isWrite() {}

// Validate reports whether b is well-formed: a projection name, To >= From,
// non-empty keys, set names and members, and a value in every [Put]. Stores
// call it before writing anything.
func (b *Batch) Validate() error {
	switch {
	case b.Projection == "":
		return fmt.Errorf("%w: empty projection name", ErrInvalidBatch)
	case b.To < b.From:
		return fmt.Errorf("%w: %s: checkpoint moves backwards from %d to %d", ErrInvalidBatch, b.Projection, b.From, b.To)
	}
	for i, w := range b.Writes {
		var ok bool
		switch w := w.(type) {
		case Put:
			ok = w.Key != "" && (w.Value != nil || w.obj != nil)
		case Delete:
			ok = w.Key != ""
		case AddMember:
			ok = w.Set != "" && w.Member != ""
		case RemoveMember:
			ok = w.Set != "" && w.Member != ""
		}
		if !ok {
			return fmt.Errorf("%w: %s: write %d (%T) has an empty key, set, member or value", ErrInvalidBatch, b.Projection, i, w)
		}
	}
	return nil
}
