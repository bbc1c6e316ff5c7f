package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

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

// Invariants keeps what the invariant report of validation-core §10.7 reads,
// always current: per run, a trimmed run view folded by the same code as
// [RunCurrent]; per world, its default policy version and its settings.
// The report itself depends on the clock (review_overdue) and is computed
// from [Invariants.World] by the caller. Create it with [NewInvariants].
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
	return runEventTypes[t] || t == events.TypeDefaultPolicySet || t == events.TypeWorldSettingsUpdated
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
	k := key(p.name, "run", rec.Stream)
	st, found, err := get[runState](ctx, t, k)
	if err != nil {
		return err
	}
	if !found {
		st = &runState{}
	}
	before := keptParts(&st.View)
	if _, err := foldRun(st, rec, payload); err != nil {
		return err
	}
	if err := trimForInvariants(&st.View, before); err != nil {
		return fmt.Errorf("trim run %s: %w", rec.Stream, err)
	}
	t.put(k, st)
	if !found {
		t.add(key(p.name, "runs", esc(st.View.WorldID)), positionMember(st.Position, rec.Stream))
		t.add(key(p.name, "worlds"), st.View.WorldID)
	}
	return nil
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

// trimmed remembers which parts of a run view a fold found already trimmed:
// the metrics document and each rule result, by the address of their bytes.
// A fold replaces what it changes with new bytes, so what still has the same
// address was trimmed by an earlier fold and is left as it is.
type trimmed struct {
	metrics *byte
	results map[string]*byte
}

// keptParts records the parts of v as they are before a fold.
func keptParts(v *RunView) trimmed {
	t := trimmed{metrics: firstByte(v.Metrics), results: make(map[string]*byte, len(v.Validation.Results))}
	for _, r := range v.Validation.Results {
		t.results[r.Rule] = firstByte(r.Result)
	}
	return t
}

// firstByte returns the address of b's first byte, nil when b is empty.
func firstByte(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}

// trimForInvariants drops from a run view what the invariants do not read
// (see [InvariantInputs]), so that the projection stays small; parts that
// before says were trimmed already and the fold left alone are not read
// again (every run event would otherwise re-read the whole metrics
// document). Metrics that are not a JSON object have no core path and no
// recorded health: they trim to {} rather than stall the projection.
func trimForInvariants(v *RunView, before trimmed) error {
	if p := firstByte(v.Metrics); p == nil || p != before.metrics {
		m, err := trimMetrics(v.Metrics)
		if err != nil {
			return err
		}
		v.Metrics = m
	}
	results := make(RuleResults, len(v.Validation.Results))
	for i, r := range v.Validation.Results {
		results[i] = r
		if p := firstByte(r.Result); p != nil && p == before.results[r.Rule] {
			continue
		}
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

// World returns the inputs of the invariant report of world. A world the
// projection has never heard of has no runs and the record {world_id}; it is
// not an error (validation-core §10.7).
func (p *Invariants) World(ctx context.Context, world string) (InvariantInputs, error) {
	in := InvariantInputs{World: InvariantWorld{WorldID: world}, Runs: []RunView{}}
	raw, err := p.store.Get(ctx, key(p.name, "world", esc(world)))
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &in.World); err != nil {
			return InvariantInputs{}, fmt.Errorf("world %q: decode: %w", world, err)
		}
	case !errors.Is(err, ErrNotFound):
		return InvariantInputs{}, fmt.Errorf("world %q: %w", world, err)
	}
	members, err := p.store.Range(ctx, key(p.name, "runs", esc(world)), "", 0)
	if err != nil {
		return InvariantInputs{}, fmt.Errorf("runs of world %q: %w", world, err)
	}
	for _, m := range members {
		_, stream, err := splitPositionMember(m)
		if err != nil {
			return InvariantInputs{}, fmt.Errorf("runs of world %q: %w", world, err)
		}
		raw, err := p.store.Get(ctx, key(p.name, "run", stream))
		if err != nil {
			return InvariantInputs{}, fmt.Errorf("run %s: %w", stream, err)
		}
		var st runState
		if err := json.Unmarshal(raw, &st); err != nil {
			return InvariantInputs{}, fmt.Errorf("run %s: decode: %w", stream, err)
		}
		in.Runs = append(in.Runs, st.View)
	}
	return in, nil
}

// Worlds returns every world the projection knows (with runs, a policy
// default or settings), in byte order.
func (p *Invariants) Worlds(ctx context.Context) ([]string, error) {
	ws, err := p.store.Range(ctx, key(p.name, "worlds"), "", 0)
	if err != nil {
		return nil, fmt.Errorf("worlds: %w", err)
	}
	return ws, nil
}
