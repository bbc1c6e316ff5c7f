package sqlite

import (
	"time"

	"github.com/worldval/worldval/events"
)

// Option configures a [Store] opened by [Open].
type Option func(*config)

// config is the resolved set of options.
type config struct {
	registry     *events.Registry
	clock        func() time.Time
	maxBatch     int
	maxBatchSize int
	batchWindow  time.Duration
	readConns    int
	busyTimeout  time.Duration
	tailRecords  int
	tailBytes    int
	// WAL pages between background checkpoints, and the WAL length at
	// which the writer restarts it; tests lower them.
	walCheckpointPages int
	walRestartPages    int
}

// Defaults of the options.
const (
	defaultMaxBatch     = 512
	defaultMaxBatchSize = 4 << 20
	defaultReadConns    = 4
	defaultBusyTimeout  = 5 * time.Second
	defaultBatchWindow  = 2 * time.Millisecond
	defaultTailRecords  = 4096
	defaultTailBytes    = 16 << 20
)

func newConfig(opts []Option) config {
	c := config{
		clock:        time.Now,
		maxBatch:     defaultMaxBatch,
		maxBatchSize: defaultMaxBatchSize,
		readConns:    defaultReadConns,
		busyTimeout:  defaultBusyTimeout,
		batchWindow:  defaultBatchWindow,
		tailRecords:  defaultTailRecords,
		tailBytes:    defaultTailBytes,

		walCheckpointPages: walCheckpointPages,
		walRestartPages:    walRestartPages,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithRegistry makes every append check each event against r with
// [events.Registry.Check], so unknown types and payloads that do not decode
// into their registered struct are rejected before anything is written.
// Without it the store checks only the envelope ([events.Event.Validate]).
func WithRegistry(r *events.Registry) Option {
	return func(c *config) { c.registry = r }
}

// WithClock sets the source of RecordedAt. The default is [time.Now]; tests
// inject a fixed or stepping clock. now is called from the writer goroutine
// only.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithMaxBatch caps one group commit at appends calls (and checkpoint saves)
// or about size bytes of payload, whichever is reached first; an append larger
// than size still commits, alone. Values <= 0 keep the defaults, 512 calls
// and 4 MiB.
func WithMaxBatch(appends, size int) Option {
	return func(c *config) {
		if appends > 0 {
			c.maxBatch = appends
		}
		if size > 0 {
			c.maxBatchSize = size
		}
	}
}

// WithBatchWindow bounds how long the writer waits, before a group commit,
// for the callers the previous commit answered to send their next writes, so
// that they share one fsync. The writer waits only while fewer writes are in
// the group than callers it knows to be appending (a lone sequential caller
// never waits), stops as soon as they are all in, and never waits longer than
// a commit has lately taken. The default is 2ms; 0 disables the wait (writes
// that arrive during a commit still share the next one).
func WithBatchWindow(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.batchWindow = d
		}
	}
}

// WithReadConns sets the number of read connections (default 4).
func WithReadConns(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.readConns = n
		}
	}
}

// WithBusyTimeout sets how long a connection waits for a lock held by another
// process before failing (default 5s).
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.busyTimeout = d
		}
	}
}

// WithTail sizes the in-memory tail of recently committed events from which
// [Store.Subscribe] serves subscribers that keep up, instead of each reading
// the events back from the file: it holds at most records events and about
// size bytes (payloads plus some 256 bytes per event), dropping the oldest
// first. A subscriber further behind reads the file until it reaches the
// tail. records or size 0 disables the tail; negative values keep the
// defaults, 4,096 events and 16 MiB.
func WithTail(records, size int) Option {
	return func(c *config) {
		if records >= 0 {
			c.tailRecords = records
		}
		if size >= 0 {
			c.tailBytes = size
		}
	}
}
