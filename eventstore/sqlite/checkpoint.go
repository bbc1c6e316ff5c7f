package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// Checkpoint returns the position stored for the subscriber name, or 0 when
// none is stored.
func (s *Store) Checkpoint(ctx context.Context, name string) (uint64, error) {
	if err := checkCheckpointName(name); err != nil {
		return 0, fmt.Errorf("checkpoint %q: %w", name, err)
	}
	if s.isClosed() {
		return 0, fmt.Errorf("checkpoint %s: %w", name, eventstore.ErrClosed)
	}
	var pos int64
	switch err := s.rdb.QueryRowContext(ctx, "SELECT position FROM checkpoints WHERE name = ?", name).Scan(&pos); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return uint64(pos), nil
}

// SaveCheckpoint durably stores position for the subscriber name. Saves go
// through the writer and share group commits with appends. A position may
// move backwards (a projection rebuilt from the start).
func (s *Store) SaveCheckpoint(ctx context.Context, name string, position uint64) error {
	if err := checkCheckpointName(name); err != nil {
		return fmt.Errorf("save checkpoint %q: %w", name, err)
	}
	if position > 1<<63-1 {
		return fmt.Errorf("save checkpoint %s: position %d out of range", name, position)
	}
	if err := s.admit(); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", name, err)
	}
	defer s.inflight.Done()
	out := s.writer.submit(ctx, newRequest(ctx, &checkpointOp{name: name, position: position}, len(name)+64))
	if out.err != nil {
		return fmt.Errorf("save checkpoint %s: %w", name, out.err)
	}
	return nil
}

func checkCheckpointName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	}
	return nil
}

// checkpointOp is a checkpoint save as the writer applies it.
type checkpointOp struct {
	name     string
	position uint64
}

func (c *checkpointOp) apply(ctx context.Context, w *writer) (eventstore.AppendResult, error, error) {
	now := events.FormatTime(w.cfg.clock())
	if _, err := w.stmts.saveCheckpoint.ExecContext(ctx, c.name, int64(c.position), now); err != nil {
		return eventstore.AppendResult{}, nil, fmt.Errorf("save checkpoint %s: %w", c.name, err)
	}
	return eventstore.AppendResult{}, nil, nil
}
