package processor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/worldval/worldval/eventstore"
)

// runnerCheckpoint tracks how far a runner has handled the global stream and
// saves that position by count, by time, and on stop. It is safe for
// concurrent use: the subscription's goroutine reports progress while the
// interval ticker saves. Saves are serialised and only ever move forward.
type runnerCheckpoint struct {
	cps      eventstore.Checkpoints
	name     string
	every    int
	interval time.Duration

	mu       sync.Mutex
	handled  uint64    // last handled position
	saved    uint64    // last saved position
	unsaved  int       // events handled since the last save
	lastSave time.Time // when the last save happened (or the runner started)
}

func newRunnerCheckpoint(cps eventstore.Checkpoints, cfg RunnerConfig, start uint64) *runnerCheckpoint {
	return &runnerCheckpoint{
		cps: cps, name: cfg.Name, every: cfg.CheckpointEvery, interval: cfg.CheckpointInterval,
		handled: start, saved: start, lastSave: time.Now(),
	}
}

// handledUpTo records that every event up to pos was handled, n of them
// since the last call, and saves when the count or the interval says so.
func (c *runnerCheckpoint) handledUpTo(ctx context.Context, pos uint64, n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handled = pos
	c.unsaved += n
	if c.unsaved >= c.every || (c.interval > 0 && time.Since(c.lastSave) >= c.interval) {
		return c.saveLocked(ctx)
	}
	return nil
}

// tick saves unsaved progress once the interval has passed; the interval
// ticker calls it so that an idle subscription still checkpoints.
func (c *runnerCheckpoint) tick(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handled > c.saved && time.Since(c.lastSave) >= c.interval {
		return c.saveLocked(ctx)
	}
	return nil
}

// flush saves unsaved progress, whatever the count and interval.
func (c *runnerCheckpoint) flush(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.saveLocked(ctx)
}

func (c *runnerCheckpoint) saveLocked(ctx context.Context) error {
	if c.handled <= c.saved {
		return nil
	}
	if err := c.cps.SaveCheckpoint(ctx, c.name, c.handled); err != nil {
		return fmt.Errorf("runner %q: save checkpoint %d: %w", c.name, c.handled, err)
	}
	c.saved, c.unsaved, c.lastSave = c.handled, 0, time.Now()
	return nil
}
