package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/worldval/worldval/events"
)

// InvariantsName is the stable name of the [Invariants] projection.
const InvariantsName = "validation_invariants"

// InvariantWorld is the world record the invariants read (validation-core
// §1, §6.7): the default policy version and the settings of the world
// aggregate.
type InvariantWorld struct {
	// WorldID is the world.
	WorldID string `json:"world_id"`
	// DefaultPolicyVersion is the world's default policy version, 0 when it
	// has no policy.
	DefaultPolicyVersion int `json:"default_policy_version"`
	// Settings is the latest settings record, nil when none was set.
	Settings *events.WorldSettingsUpdated `json:"settings,omitempty"`
}

// clone returns a shallow copy of w (see [cloner]): a fold changes a world
// record only by assigning its fields (Settings gets a new pointer).
func (w *InvariantWorld) clone() *InvariantWorld {
	c := *w
	return &c
}

// InvariantInputs is everything the invariant report of one world is
// computed from.
type InvariantInputs struct {
	// World is the world record ({world_id} alone for a world the store
	// has never heard of).
	World InvariantWorld
	// Runs are the world's runs in submission order. Each view is trimmed
	// to what the invariants read: its metrics keep only the returns,
	// sample, risk and robustness blocks and
	// diagnostics.validation_health, its results only their reason_code,
	// and it has no extended history or ex-post failures.
	Runs []RunView
}

// Invariants keeps the world records the invariant report of
// validation-core §10.7 reads besides the runs: per world, its default
// policy version and its settings. The runs are [RunCurrent]'s; an
// [InvariantReader] puts the two together. Create it with [NewInvariants].
// Queries are safe for concurrent use with one writer.
type Invariants struct {
	engine
}

var _ Projection = (*Invariants)(nil)

// NewInvariants returns the invariants projection over store, decoding
// events with reg. It refuses nil dependencies.
func NewInvariants(store Store, reg *events.Registry) (*Invariants, error) {
	p := &Invariants{}
	e, err := newEngine(InvariantsName, store, reg, p)
	if err != nil {
		return nil, err
	}
	p.engine = e
	return p, nil
}

func (p *Invariants) handles(t string) bool {
	return t == events.TypeDefaultPolicySet || t == events.TypeWorldSettingsUpdated
}

func (p *Invariants) fold(ctx context.Context, t *tx, rec *events.Record, payload any) error {
	switch e := payload.(type) {
	case *events.DefaultPolicySet:
		if want, err := events.PolicyStream(e.WorldID); err != nil || want != rec.Stream {
			return fmt.Errorf("default policy of world %q recorded on stream %s", e.WorldID, rec.Stream)
		}
		return p.updateWorld(ctx, t, e.WorldID, func(w *InvariantWorld) { w.DefaultPolicyVersion = e.PolicyVersion })
	case *events.WorldSettingsUpdated:
		if want, err := events.WorldStream(e.WorldID); err != nil || want != rec.Stream {
			return fmt.Errorf("settings of world %q recorded on stream %s", e.WorldID, rec.Stream)
		}
		s := *e
		return p.updateWorld(ctx, t, e.WorldID, func(w *InvariantWorld) { w.Settings = &s })
	}
	return fmt.Errorf("unexpected payload %T", payload)
}

// updateWorld applies change to the record of world.
func (p *Invariants) updateWorld(ctx context.Context, t *tx, world string, change func(*InvariantWorld)) error {
	k := key(p.name, "world", esc(world))
	w, found, err := get[InvariantWorld](ctx, t, k)
	if err != nil {
		return err
	}
	if !found {
		w = &InvariantWorld{WorldID: world}
		t.add(key(p.name, "worlds"), world)
	}
	change(w)
	t.put(k, w)
	return nil
}

// Record returns the record of world: {world_id} alone for a world the
// projection has never heard of, which is not an error (validation-core
// §10.7).
func (p *Invariants) Record(ctx context.Context, world string) (InvariantWorld, error) {
	rec := InvariantWorld{WorldID: world}
	raw, err := p.store.Get(ctx, key(p.name, "world", esc(world)))
	switch {
	case errors.Is(err, ErrNotFound):
		return rec, nil
	case err != nil:
		return InvariantWorld{}, fmt.Errorf("world %q: %w", world, err)
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return InvariantWorld{}, fmt.Errorf("world %q: decode: %w", world, err)
	}
	return rec, nil
}

// Worlds returns every world with a record (a policy default or settings),
// in byte order.
func (p *Invariants) Worlds(ctx context.Context) ([]string, error) {
	ws, err := p.store.Range(ctx, key(p.name, "worlds"), "", 0)
	if err != nil {
		return nil, fmt.Errorf("worlds: %w", err)
	}
	return ws, nil
}

// InvariantReader reads the inputs of the invariant reports: the world
// records of an [Invariants] projection and the runs of a [RunCurrent].
//
// The runs are not folded a second time for the invariants: each is
// trimmed (see [InvariantInputs]) from the run view when it is read. The two
// read models follow the store on their own, so a report may combine a
// world record and runs that were current a few events apart; each part is
// one the system really had, and the invariants are checked again on every
// read.
type InvariantReader struct {
	// Records holds the world records.
	Records *Invariants
	// Runs holds the runs.
	Runs *RunCurrent
}

// World returns the inputs of the invariant report of world. A world that
// neither read model has heard of has no runs and the record {world_id}; it
// is not an error (validation-core §10.7).
func (r InvariantReader) World(ctx context.Context, world string) (InvariantInputs, error) {
	rec, err := r.Records.Record(ctx, world)
	if err != nil {
		return InvariantInputs{}, err
	}
	in := InvariantInputs{World: rec, Runs: []RunView{}}
	q := ListQuery{Limit: MaxListLimit}
	for {
		page, err := r.Runs.List(ctx, world, q)
		if err != nil {
			return InvariantInputs{}, fmt.Errorf("runs of world %q: %w", world, err)
		}
		for _, v := range page.Runs { // copies: trimming replaces fields, never writes through them
			if err := trimForInvariants(&v); err != nil {
				return InvariantInputs{}, fmt.Errorf("trim run %s/%s: %w", v.StrategyID, v.RunID, err)
			}
			in.Runs = append(in.Runs, v)
		}
		if page.NextCursor == "" {
			return in, nil
		}
		q.Cursor = page.NextCursor
	}
}

// Worlds returns every world with runs, a policy default or settings, in
// byte order.
func (r InvariantReader) Worlds(ctx context.Context) ([]string, error) {
	withRecords, err := r.Records.Worlds(ctx)
	if err != nil {
		return nil, err
	}
	withRuns, err := r.Runs.Worlds(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Compact(slices.Sorted(slices.Values(append(withRecords, withRuns...)))), nil
}

// trimForInvariants drops from a run view what the invariants do not read
// (see [InvariantInputs]). It replaces the fields it changes and never
// writes through them, so it may trim a copy of a committed view. Metrics
// that are not a JSON object have no core path and no recorded health: they
// trim to {} rather than fail the report.
func trimForInvariants(v *RunView) error {
	m, err := trimMetrics(v.Metrics)
	if err != nil {
		return err
	}
	v.Metrics = m
	results := make(RuleResults, len(v.Validation.Results))
	for i, r := range v.Validation.Results {
		t, err := trimResult(r.Result)
		if err != nil {
			return fmt.Errorf("results: %w", err)
		}
		results[i] = RuleResult{Rule: r.Rule, Result: t}
	}
	v.Validation.Results = results
	v.Validation.ExtendedHistory, v.Validation.ExtendedSummary = nil, nil
	v.Summary.ExPostFailures = nil
	return nil
}
