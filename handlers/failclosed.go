package handlers

import (
	"context"
	"fmt"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/world"
	"github.com/worldval/worldval/events"
)

// FailClosedSource tells the evaluator whether a world's runs must be
// evaluated fail-closed: validation.on_error and on_missing_metric forced to
// fail before evaluation and hashing, whatever the policy says
// (validation-core §6.7). Implementations must be safe for concurrent use.
type FailClosedSource interface {
	// FailClosed reports whether world is evaluated fail-closed now. An
	// error is a failure to find out (the store), which the evaluator
	// retries; it never evaluates fail-open because of one.
	FailClosed(ctx context.Context, world string) (bool, error)
}

// WithFailClosed sets where the evaluator learns which worlds are
// fail-closed. The default is [WorldSettingsFailClosed] over the
// evaluator's repository; nil keeps it.
func WithFailClosed(s FailClosedSource) EvaluatorOption {
	return func(e *Evaluator) {
		if s != nil {
			e.failClosed = s
		}
	}
}

// WorldSettingsFailClosed is the [FailClosedSource] of the world aggregate:
// a world is fail-closed when its settings make it high-tier critical
// (validation-core §1). It reads the world's own stream, world/{world}, so
// the decision rests on the event store, not on a read model.
type WorldSettingsFailClosed struct {
	// Repo is the repository the world stream is loaded from.
	Repo *aggregates.Repository
}

// FailClosed implements [FailClosedSource].
func (s WorldSettingsFailClosed) FailClosed(ctx context.Context, worldID string) (bool, error) {
	stream, err := events.WorldStream(worldID)
	if err != nil {
		return false, nil // no stream can hold settings for this id: none were set
	}
	snap, err := aggregates.Load[world.World](ctx, s.Repo, stream)
	if err != nil {
		return false, fmt.Errorf("world settings of %s: %w", worldID, err)
	}
	return snap.State.HighTierCritical(), nil
}
