package handlers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/validation/extended"
)

// ExitName is the subscription name (and checkpoint key) of the exit
// engine.
const ExitName = "exit_engine"

// ExitConfig configures the exit engine. The zero value emits nothing.
type ExitConfig struct {
	// Rules are the limits and lists of the exit rules (spec §5).
	Rules extended.ExitRules
	// Params are the portfolio constants of the VaR/ES limits; a zero Z
	// takes [extended.DefaultParams]. A world whose default policy sets
	// portfolio.z_99, es_factor or default_correlation is checked with
	// those, as its extended validation is (O2, O15).
	Params extended.Params
}

// ExitEngine is the exit engine of risk-hub §5, a read-only consumer of the
// risk hub: each recorded snapshot is checked against the manual
// freeze/drain lists, the VaR and ES limits of its baseline portfolio and
// the stress drawdown limits; each LiveMonitoringEvaluated against the live
// drawdown and decay limits. Every breach is recorded as ExitSignalEmitted
// on exit-signal/{world}, keyed
// exit_signal:{world}:{strategy|*}:{snapshot_hash}:{rule_id}, so one
// snapshot yields at most one signal per rule and strategy however often it
// is handled. Only the gateway acts on signals.
type ExitEngine struct {
	repo  *aggregates.Repository
	reg   *events.Registry
	cfg   ExitConfig
	now   func() time.Time
	blobs BlobResolver
	// policies finds a world's default policy at a snapshot's position.
	policies *policyCache
}

// ExitOption configures an [ExitEngine].
type ExitOption func(*ExitEngine)

// WithExitClock sets the clock of emitted_at and expiry (default
// time.Now).
func WithExitClock(now func() time.Time) ExitOption { return func(e *ExitEngine) { e.now = now } }

// WithExitBlobResolver sets how offloaded covariance and stress are read.
func WithExitBlobResolver(b BlobResolver) ExitOption { return func(e *ExitEngine) { e.blobs = b } }

// NewExitEngine returns the exit engine, appending through repo.
func NewExitEngine(repo *aggregates.Repository, cfg ExitConfig, opts ...ExitOption) (*ExitEngine, error) {
	if repo == nil {
		return nil, errors.New("new exit engine: nil repository")
	}
	if cfg.Params.Z == 0 {
		cfg.Params = extended.DefaultParams()
	}
	e := &ExitEngine{repo: repo, reg: repo.Registry(), cfg: cfg, now: time.Now, policies: newPolicyCache(repo)}
	for _, o := range opts {
		o(e)
	}
	return e, nil
}

// Name is the exit engine's subscription name.
func (e *ExitEngine) Name() string { return ExitName }

// Handle checks a RiskSnapshotRecorded or a LiveMonitoringEvaluated; every
// other event is ignored. A snapshot already expired when it is handled is
// not acted on (its TTL is how long consumers may use it, spec §2.5).
func (e *ExitEngine) Handle(ctx context.Context, rec events.Record) error {
	e.policies.observe(&rec)
	var err error
	switch rec.Type {
	case events.TypeRiskSnapshotRecorded:
		err = e.snapshot(ctx, &rec)
	case events.TypeLiveMonitoringEvaluated:
		err = e.live(ctx, &rec)
	}
	if err != nil {
		return fmt.Errorf("exit engine: %w", err)
	}
	return nil
}

// snapshot applies the snapshot rules.
func (e *ExitEngine) snapshot(ctx context.Context, rec *events.Record) error {
	snap, err := events.DecodeAs[events.RiskSnapshotRecorded](e.reg, &rec.Event)
	if err != nil {
		return err
	}
	now := e.now().UTC()
	expires, err := parseInstant(snap.ExpiresAt)
	if err == nil && now.After(expires) {
		return nil
	}
	data := resolveSnapshot(ctx, e.blobs, snap)
	ids := make([]string, 0, len(data.weights))
	for id := range data.weights {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var hub *extended.Hub
	if len(data.weights) > 0 && len(data.covariance) > 0 {
		pol, _, err := e.policies.at(ctx, snap.WorldID, rec.GlobalPosition)
		if err != nil {
			return fmt.Errorf("default policy of %s: %w", snap.WorldID, err)
		}
		hub = extended.NewHub(data.weights, data.covariance, nil, portfolioParams(pol, e.cfg.Params))
	}
	signals := e.cfg.Rules.SnapshotExits(snap.WorldID, hub, data.stress, ids)
	return e.emit(ctx, snap.WorldID, snap.SnapshotRef(), snap.ExpiresAt, now, rec, signals)
}

// live applies the live rules to a live-monitoring pass.
func (e *ExitEngine) live(ctx context.Context, rec *events.Record) error {
	p, err := events.DecodeAs[events.LiveMonitoringEvaluated](e.reg, &rec.Event)
	if err != nil {
		return err
	}
	_, ids, err := events.ParseStream(rec.Stream)
	if err != nil || len(ids) != 1 {
		return fmt.Errorf("live monitoring event on stream %q", rec.Stream)
	}
	values := make([]extended.LiveValues, len(p.Strategies))
	for i, s := range p.Strategies {
		values[i] = extended.LiveValues{StrategyID: s.StrategyID, MaxDrawdown: s.Aggregates["live_max_drawdown"], DecayRatio: s.Aggregates["live_vs_backtest_sharpe_ratio"]}
	}
	return e.emit(ctx, ids[0], p.Snapshot, "", e.now().UTC(), rec, e.cfg.Rules.LiveExits(values))
}

// emit records the signals, each keyed by world, strategy, snapshot hash
// and rule; a key recorded before is a no-op.
func (e *ExitEngine) emit(ctx context.Context, world string, snap events.SnapshotRef, expires string, now time.Time, cause *events.Record, signals []extended.ExitSignal) error {
	if len(signals) == 0 {
		return nil
	}
	stream, err := events.ExitSignalStream(world)
	if err != nil {
		return err
	}
	for _, s := range signals {
		key := events.ExitSignalKey(world, s.StrategyID, snap.Hash, s.RuleID)
		m, err := s.MetricsJSON()
		if err != nil {
			return err
		}
		p := events.ExitSignalEmitted{
			SignalID: events.IDFromKey(key), WorldID: world, StrategyID: s.StrategyID, Action: s.Action,
			ReductionRatio: s.ReductionRatio, RuleID: s.RuleID, ReasonCode: s.ReasonCode, Reason: s.Reason,
			Severity: s.Severity, Metrics: m, Snapshot: snap, EmittedAt: secondsZ(now), ExpiresAt: expires,
			RequiresApproval: s.RequiresApproval,
		}
		ev, err := e.reg.New(p, events.Meta{
			IdempotencyKey: key, OccurredAt: now, Actor: ExitName, CausationID: cause.ID,
			CorrelationID: "exit_signal:" + world + ":" + p.SignalID,
		})
		if err != nil {
			return err
		}
		if _, err := e.repo.Store().Append(ctx, stream, eventstore.Any{}, ev); err != nil {
			return fmt.Errorf("append to %s: %w", stream, err)
		}
	}
	return nil
}
