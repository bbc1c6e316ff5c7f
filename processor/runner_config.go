package processor

import (
	"errors"
	"fmt"
	"time"
)

// DefaultRunnerFlushTimeout bounds the final checkpoint save of a stopping
// [Runner] when [RunnerConfig.FlushTimeout] is zero.
const DefaultRunnerFlushTimeout = 5 * time.Second

// RunnerConfig configures a [Runner]: which checkpoint it owns and how often it
// saves it. Saving less often costs re-delivery after a crash (handlers are
// idempotent, so only time), saving more often costs a durable write per save.
type RunnerConfig struct {
	// Name identifies the subscription; its checkpoint is stored under this
	// name, so two runners must never share one. Required.
	Name string
	// CheckpointEvery saves the checkpoint after this many handled events.
	// Default 1: after every event.
	CheckpointEvery int
	// CheckpointInterval also saves the checkpoint when there is unsaved
	// progress and this much time has passed since the last save, even while
	// no events arrive. Zero disables time-based saves.
	CheckpointInterval time.Duration
	// FlushTimeout bounds the final save when the runner stops, which runs
	// even though the runner's context is already cancelled. Default
	// [DefaultRunnerFlushTimeout].
	FlushTimeout time.Duration
}

// SetDefaults fills the zero fields with their defaults.
func (c *RunnerConfig) SetDefaults() {
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 1
	}
	if c.FlushTimeout == 0 {
		c.FlushTimeout = DefaultRunnerFlushTimeout
	}
}

// Validate reports every invalid field, or nil.
func (c *RunnerConfig) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("runner name is empty"))
	}
	if c.CheckpointEvery < 1 {
		errs = append(errs, fmt.Errorf("runner %q: checkpoint_every %d < 1", c.Name, c.CheckpointEvery))
	}
	if c.CheckpointInterval < 0 {
		errs = append(errs, fmt.Errorf("runner %q: checkpoint_interval %v is negative", c.Name, c.CheckpointInterval))
	}
	if c.FlushTimeout <= 0 {
		errs = append(errs, fmt.Errorf("runner %q: flush_timeout %v is not positive", c.Name, c.FlushTimeout))
	}
	return errors.Join(errs...)
}
