package aggregates

import (
	"errors"
	"fmt"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// DefaultMaxAttempts is how many times [Update] decides before it gives up on
// a stream that keeps changing under it.
const DefaultMaxAttempts = 10

// readPage is how many events a load reads per call to the store.
const readPage = 512

// State constrains an aggregate's state type: a pointer to S folds the
// stream's history one stored event at a time. The zero S is the state of a
// stream with no events.
type State[S any] interface {
	*S
	// Apply folds one stored event into the state. payload is the event's
	// payload decoded through the registry and upcast to its current schema
	// version (a pointer to the payload struct). An error means the history
	// cannot be folded (it contradicts the aggregate's invariants); Update
	// then decides nothing.
	Apply(rec *events.Record, payload any) error
}

// Repository reads and writes aggregate streams in one event store. It is
// safe for concurrent use.
type Repository struct {
	store       eventstore.Store
	reg         *events.Registry
	maxAttempts int
}

// Option configures a [Repository].
type Option func(*Repository)

// WithMaxAttempts sets how many times [Update] decides before it returns the
// conflict; values below 1 are treated as 1.
func WithMaxAttempts(n int) Option {
	return func(r *Repository) { r.maxAttempts = max(n, 1) }
}

// NewRepository returns a repository over store that decodes payloads with
// reg. Both are required.
func NewRepository(store eventstore.Store, reg *events.Registry, opts ...Option) (*Repository, error) {
	if store == nil {
		return nil, errors.New("aggregates: nil event store")
	}
	if reg == nil {
		return nil, errors.New("aggregates: nil event registry")
	}
	r := &Repository{store: store, reg: reg, maxAttempts: DefaultMaxAttempts}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Store returns the repository's event store.
func (r *Repository) Store() eventstore.Store { return r.store }

// Registry returns the registry the repository decodes with; aggregates build
// their events with it.
func (r *Repository) Registry() *events.Registry { return r.reg }

// Fold applies recs, in order, to a zero state and returns it. Decoding goes
// through reg, so old schema versions are upcast.
func Fold[S any, P State[S]](reg *events.Registry, recs []events.Record) (P, error) {
	state := P(new(S))
	if err := foldInto(reg, state, recs); err != nil {
		return nil, err
	}
	return state, nil
}

func foldInto[S any, P State[S]](reg *events.Registry, state P, recs []events.Record) error {
	for i := range recs {
		rec := &recs[i]
		payload, err := reg.Decode(&rec.Event)
		if err != nil {
			return fmt.Errorf("fold %s version %d: %w", rec.Stream, rec.StreamVersion, err)
		}
		if err := state.Apply(rec, payload); err != nil {
			return fmt.Errorf("fold %s version %d (%s): %w", rec.Stream, rec.StreamVersion, rec.Type, err)
		}
	}
	return nil
}
