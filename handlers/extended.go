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
// takes the defaults. Params, ExtremeSharpeMax, TopKMetric and LiveESMax
// are defaults: a world's policy that sets the matching key of its cohort,
// portfolio or live_monitoring block (top_k_metric, extreme_sharpe_max,
// z_99, es_factor, default_correlation, es_max) overrides them for its
// passes.
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
//
// Run triggers that wait together are passed together
// ([ExtendedValidator.HandleBatch]): the consecutive run triggers of a
// batch, up to a world-wide trigger, form a segment, and each cohort of the
// segment is evaluated once with all its triggered runs as targets, as of
// the last trigger of the segment — the default policy at its position, the
// runs evaluated by then, the latest snapshot — instead of once per
// trigger. A world-wide trigger is passed alone, after the run triggers
// before it and before those after it.
//
// Every append is keyed by its trigger — each run's result by the run's own
// trigger, a cohort by its trigger or, for triggers passed together, by a
// digest of theirs — so a trigger re-delivered after a crash, alone or in
// another batch, records nothing twice, and the handler's own output
// triggers nothing. It is a processor BatchWorker; its methods must not be
// called concurrently.
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
	// settings tells which worlds are fail-closed as of a position, from
	// the world streams, kept current by observe.
	settings *failClosedCache
	cache    *runCache
	index    *worldIndex
	hubs     *hubCache
	policies *policyCache
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
		book: book, snapshots: book, settings: newFailClosedCache(repo), cache: newRunCache(repo),
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

// Handle handles one event: it is [ExtendedValidator.HandleBatch] of a
// batch of one, which runs the pass a trigger asks for; every other event
// only keeps the handler's views (snapshots, runs, policies) current.
func (x *ExtendedValidator) Handle(ctx context.Context, rec events.Record) error {
	return x.HandleBatch(ctx, []events.Record{rec})
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
