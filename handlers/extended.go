package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/extended"
)

// ExtendedName is the subscription name (and checkpoint key) of the
// extended validation handler.
const ExtendedName = "extended_validation"

// ExtendedConfig tunes the extended validation handler. The zero value
// takes the defaults.
type ExtendedConfig struct {
	// Params are the portfolio constants (Z, ES factor, default
	// correlation). A zero Z takes [extended.DefaultParams] as a whole.
	Params extended.Params
	// ExtremeSharpeMax, when set, warns every cohort member when a
	// member's Sharpe exceeds it (O4).
	ExtremeSharpeMax *float64
	// TopKMetric is the metric the cohort's top k is ranked by (O3):
	// "sharpe" (QMTL, the default) or "deflated_sharpe_ratio".
	TopKMetric string
	// LiveESMax, when set, gates the mean live ES of the live_monitoring
	// result (O18).
	LiveESMax *float64
	// Parallelism bounds the runs loaded and recorded at once (default
	// 16); the store's group commit batches their appends.
	Parallelism int
	// ReadModelTimeout bounds the wait for the run read model to reach a
	// trigger (default 5s); after it the pass uses what the model has.
	ReadModelTimeout time.Duration
}

func (c *ExtendedConfig) setDefaults() {
	if c.Params.Z == 0 {
		c.Params = extended.DefaultParams()
	}
	if c.Parallelism <= 0 {
		c.Parallelism = 16
	}
	if c.ReadModelTimeout <= 0 {
		c.ReadModelTimeout = 5 * time.Second
	}
}

// ExtendedObserver hears about every extended pass, for metrics
// (extended_validation_run_total and its latency, risk-hub §6.1).
// Implementations must be safe for concurrent use and fast.
type ExtendedObserver interface {
	// ExtendedPass reports one pass over a cohort of world in stage:
	// status success (runs recorded), no_updates or failure.
	ExtendedPass(world, stage, status string, took time.Duration)
	// SnapshotMissing reports a pass that found no usable snapshot.
	SnapshotMissing(world string)
}

// ExtendedValidator is the extended validation handler (risk-hub §3, §4.5,
// §8.5): each trigger — EvaluationCompleted, OverrideRecorded or
// ExPostFailureRecorded for its run; RiskSnapshotRecorded or
// DefaultPolicySet for the latest run per strategy of every stage of its
// world — runs the cohort, portfolio, benchmark, stress, paper/shadow and
// live-monitoring layers under the world's default policy and records one
// CohortEvaluated per cohort and one ExtendedValidationCompleted per run.
// Every append is keyed by the trigger, so a trigger re-delivered after a
// crash records nothing twice, and its own output triggers nothing.
type ExtendedValidator struct {
	repo      *aggregates.Repository
	reg       *events.Registry
	runs      RunSource
	cfg       ExtendedConfig
	now       func() time.Time
	book      *SnapshotBook
	snapshots SnapshotSource
	blobs     BlobResolver
	wait      func(ctx context.Context, pos uint64) bool
	observer  ExtendedObserver
	failClose FailClosedSource
	cache     *runCache
	index     *worldIndex
	hubs      *hubCache
	policies  *policyCache
}

// ExtendedOption configures an [ExtendedValidator].
type ExtendedOption func(*ExtendedValidator)

// WithExtendedClock sets the clock of evaluated_at, expiry and latency
// (default time.Now).
func WithExtendedClock(now func() time.Time) ExtendedOption {
	return func(x *ExtendedValidator) { x.now = now }
}

// WithSnapshotSource replaces the handler's own [SnapshotBook] with another
// source of latest snapshots (a read model).
func WithSnapshotSource(s SnapshotSource) ExtendedOption {
	return func(x *ExtendedValidator) { x.snapshots, x.book = s, nil }
}

// WithBlobResolver sets how offloaded snapshot members are read; without
// one, referenced members count as absent.
func WithBlobResolver(b BlobResolver) ExtendedOption {
	return func(x *ExtendedValidator) { x.blobs = b }
}

// WithReadModelWait sets how the handler waits for its [RunSource] to
// reflect the trigger at a global position (true: it does); the wait is
// bounded by [ExtendedConfig].ReadModelTimeout through ctx.
func WithReadModelWait(wait func(ctx context.Context, pos uint64) bool) ExtendedOption {
	return func(x *ExtendedValidator) { x.wait = wait }
}

// WithExtendedObserver sets who hears about passes.
func WithExtendedObserver(o ExtendedObserver) ExtendedOption {
	return func(x *ExtendedValidator) { x.observer = o }
}

// NewExtendedValidator returns the handler over repo (which it reads and
// appends through) and runs (the world's evaluated runs).
func NewExtendedValidator(repo *aggregates.Repository, runs RunSource, cfg ExtendedConfig, opts ...ExtendedOption) (*ExtendedValidator, error) {
	if repo == nil || runs == nil {
		return nil, errors.New("new extended validator: nil repository or run source")
	}
	cfg.setDefaults()
	book, err := NewSnapshotBook(repo.Store(), repo.Registry())
	if err != nil {
		return nil, fmt.Errorf("new extended validator: %w", err)
	}
	x := &ExtendedValidator{
		repo: repo, reg: repo.Registry(), runs: runs, cfg: cfg, now: time.Now,
		book: book, snapshots: book, failClose: WorldSettingsFailClosed{Repo: repo}, cache: newRunCache(repo),
		index: newWorldIndex(runs, repo), hubs: newHubCache(),
		policies: newPolicyCache(repo),
	}
	for _, o := range opts {
		o(x)
	}
	return x, nil
}

// Name is the handler's subscription name.
func (x *ExtendedValidator) Name() string { return ExtendedName }

// Handle runs the pass a trigger asks for; every other event only keeps
// the snapshot book current. It returns an error only when the store fails
// (or ctx ends), so the runner retries from its checkpoint and the keys
// make the retry record only what is missing.
func (x *ExtendedValidator) Handle(ctx context.Context, rec events.Record) error {
	if x.book != nil {
		if err := x.book.Observe(ctx, rec); err != nil {
			return fmt.Errorf("extended validation: %w", err)
		}
	}
	if err := x.cache.observe(x.reg, &rec); err != nil {
		return fmt.Errorf("extended validation: %w", err)
	}
	if err := x.index.observe(ctx, &rec); err != nil {
		return fmt.Errorf("extended validation: %w", err)
	}
	x.policies.observe(&rec)
	scope := triggerScope(rec.Type)
	if scope == 0 {
		return nil
	}
	key, err := triggerKey(ctx, x.repo.Store(), x.reg, &rec)
	if err != nil {
		return fmt.Errorf("extended validation: %w", err)
	}
	trig := events.Trigger{EventType: rec.Type, EventID: rec.ID, IdempotencyKey: key}
	world, err := triggerWorld(x.reg, &rec)
	if err != nil {
		return fmt.Errorf("extended validation: %w", err)
	}
	target := ""
	if scope == scopeRun {
		target = rec.Stream
	}
	if err := x.pass(ctx, world, target, trig, &rec); err != nil {
		return fmt.Errorf("extended validation of %s (%s at %d): %w", world, rec.Type, rec.GlobalPosition, err)
	}
	return nil
}

// triggerWorld returns the world an event belongs to.
func triggerWorld(reg *events.Registry, rec *events.Record) (string, error) {
	switch rec.Type {
	case events.TypeRiskSnapshotRecorded:
		p, err := events.DecodeAs[events.RiskSnapshotRecorded](reg, &rec.Event)
		if err != nil {
			return "", err
		}
		return p.WorldID, nil
	case events.TypeDefaultPolicySet:
		p, err := events.DecodeAs[events.DefaultPolicySet](reg, &rec.Event)
		if err != nil {
			return "", err
		}
		return p.WorldID, nil
	}
	_, ids, err := events.ParseStream(rec.Stream)
	if err != nil || len(ids) == 0 {
		return "", fmt.Errorf("event %s on stream %q has no world", rec.Type, rec.Stream)
	}
	return ids[0], nil
}
