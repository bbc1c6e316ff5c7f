package sqlite

import (
	"sort"
	"sync"

	"github.com/worldval/worldval/events"
)

// tail keeps the most recently committed records in memory so that live
// subscribers do not each read them back from the file (see
// [Store.Subscribe]). It is bounded by a number of records and by an
// approximate number of bytes (payload plus eventOverhead per record); the
// oldest records go first.
//
// The tail is complete for the positions it covers: when valid, it holds
// every record stored with start < position <= end, in position order. Only
// the writer changes it, after a commit (publish) or when it can no longer
// vouch for what the file holds beyond its last commit (invalidate): another
// connection committed, or a group failed. An invalid tail serves nothing
// until the next publish starts it afresh after the records it publishes.
//
// Records in the tail are immutable: their payloads are the writer's own
// copies, never written to. read hands them out shared, not copied (every
// subscriber of the service read each record's payload, and copying it for
// each was 6% of the CPU of bench ingest): a delivered payload is read-only,
// as [eventstore.Handler] documents.
type tail struct {
	maxRecords int // 0: disabled
	maxBytes   int

	mu    sync.RWMutex
	valid bool
	start uint64          // every record after start and up to end is held
	end   uint64          // position of the newest record, or start when empty
	ring  []events.Record // circular, len maxRecords once used
	first int             // index in ring of the oldest record
	n     int             // records held
	bytes int             // approximate bytes held
}

func newTail(maxRecords, maxBytes int) *tail {
	if maxRecords <= 0 || maxBytes <= 0 {
		return &tail{}
	}
	return &tail{maxRecords: maxRecords, maxBytes: maxBytes}
}

// enabled reports whether the tail keeps anything; the writer collects
// records for it only then.
func (t *tail) enabled() bool { return t.maxRecords > 0 }

// recordSize is what a record counts against the byte budget.
func recordSize(r *events.Record) int { return len(r.Payload) + eventOverhead }

// at returns the i-th oldest record held.
func (t *tail) at(i int) *events.Record { return &t.ring[(t.first+i)%len(t.ring)] }

// publish adds the records one group commit made durable, in position
// order. The tail takes ownership of recs' payloads (the writer's copies)
// but not of the slice. An invalid tail restarts just before recs: the group
// held the write lock, so no other connection stored anything between its
// records, and anything stored before them is for the file to serve.
func (t *tail) publish(recs []events.Record) {
	if !t.enabled() || len(recs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.valid || recs[0].GlobalPosition <= t.end {
		// The second case cannot happen (positions only grow); should it
		// ever, starting afresh keeps the tail truthful.
		t.reset()
		t.start, t.end, t.valid = recs[0].GlobalPosition-1, recs[0].GlobalPosition-1, true
	}
	if t.ring == nil {
		t.ring = make([]events.Record, t.maxRecords)
	}
	for i := range recs {
		if t.n == len(t.ring) {
			t.evict()
		}
		*t.at(t.n) = recs[i]
		t.n++
		t.bytes += recordSize(&recs[i])
		t.end = recs[i].GlobalPosition
	}
	for t.n > 0 && t.bytes > t.maxBytes {
		t.evict()
	}
}

// evict drops the oldest record; the tail then starts at its position.
func (t *tail) evict() {
	old := t.at(0)
	t.start = old.GlobalPosition
	t.bytes -= recordSize(old)
	*old = events.Record{} // let the payload go
	t.first = (t.first + 1) % len(t.ring)
	t.n--
}

// invalidate makes the tail serve nothing until the next publish.
func (t *tail) invalidate() {
	if !t.enabled() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reset()
}

// reset empties the tail and marks it invalid; t.mu must be held.
func (t *tail) reset() {
	clear(t.ring)
	t.first, t.n, t.bytes, t.valid = 0, 0, 0, false
}

// read appends to dst up to limit records with position > after, in
// position order, sharing the tail's payloads, and reports true;
// it may append none when the tail holds nothing beyond after. It reports
// false, appending nothing, when the tail cannot tell what follows after (it
// is invalid, or after lies before its start): the caller must read the
// file.
func (t *tail) read(after uint64, dst []events.Record, limit int) ([]events.Record, bool) {
	if !t.enabled() {
		return dst, false
	}
	t.mu.RLock()
	if !t.valid || after < t.start {
		t.mu.RUnlock()
		return dst, false
	}
	i := sort.Search(t.n, func(i int) bool { return t.at(i).GlobalPosition > after })
	from := len(dst)
	for ; i < t.n && len(dst)-from < limit; i++ {
		dst = append(dst, *t.at(i))
		// No spare capacity: a handler that appends to the payload gets a
		// copy instead of writing into bytes it shares.
		p := dst[len(dst)-1].Payload
		dst[len(dst)-1].Payload = p[:len(p):len(p)]
	}
	t.mu.RUnlock()
	return dst, true
}

// tailRecord returns r, just stored at position, as [Store.ReadAll] reads it
// back: times in UTC without a monotonic reading (the stored text has
// nanosecond precision and years 0..9999, which the append checked). Its
// payload is the store's own copy (see ownEvents), which nothing modifies.
func tailRecord(r events.Record, position int64) events.Record {
	r.GlobalPosition = uint64(position)
	r.OccurredAt = r.OccurredAt.UTC()
	r.RecordedAt = r.RecordedAt.UTC()
	return r
}
