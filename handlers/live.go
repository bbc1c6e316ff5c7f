package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/extended"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

// LiveName is the subscription name (and checkpoint key) of the live
// monitor.
const LiveName = "live_monitoring"

// LiveConfig tunes the live monitor. The zero value takes the defaults.
type LiveConfig struct {
	// Interval is how often each world is monitored (default 1h, the
	// cadence risk-hub §6.4 recommends).
	Interval time.Duration
	// Windows are the live windows in observations (default 30, 60, 90).
	Windows []int
	// ESMax, when set, gates the mean live ES of the live_monitoring result
	// (O18); a world's policy that sets live_monitoring.es_max overrides
	// it.
	ESMax *float64
}

func (c *LiveConfig) setDefaults() {
	if c.Interval <= 0 {
		c.Interval = time.Hour
	}
	if len(c.Windows) == 0 {
		c.Windows = extended.DefaultWindows()
	}
}

// LiveObserver hears about every live-monitoring pass, for metrics
// (live_monitoring_run_total and live_monitoring_run_updated_strategies_total,
// risk-hub §6.1). Implementations must be safe for concurrent use and fast.
type LiveObserver interface {
	// LivePass reports a pass over world: status success or failure, and
	// how many live runs it materialised.
	LivePass(world, status string, updated int)
}

// LiveMonitor is the live monitoring worker (risk-hub §3.7.2, §8.5): for a
// world's latest usable snapshot with realized returns it materialises one
// live run per strategy (stage live, run id live-{world}-{strategy}-{as_of},
// which the evaluator and the extended handler then validate like any run),
// computes the windowed live metrics with live VaR/ES (O18), evaluates the
// world-level live_monitoring rule, and records LiveMonitoringEvaluated and,
// when the rule fails, one DemotionCandidateTagged per strategy (O5).
//
// Passes are triggered by every RiskSnapshotRecorded that carries realized
// returns (Handle) and by a schedule per world ([LiveMonitor.RunScheduler]).
// Every record is keyed — live_monitoring:{world}:{as_of}:{policy_version},
// demotion:{world}:{strategy}:{as_of}, the live run's submission by its run
// id — so a tick on an unchanged snapshot and policy records nothing.
type LiveMonitor struct {
	repo     *aggregates.Repository
	reg      *events.Registry
	runs     RunSource
	cfg      LiveConfig
	now      func() time.Time
	book     *SnapshotBook
	blobs    BlobResolver
	policies *policyCache
	observer LiveObserver
	log      *slog.Logger

	// mu serialises passes: the subscription and the scheduler may ask for
	// the same world at once.
	mu sync.Mutex
}

// LiveOption configures a [LiveMonitor].
type LiveOption func(*LiveMonitor)

// WithLiveClock sets the clock of expiry, schedules and event times
// (default time.Now).
func WithLiveClock(now func() time.Time) LiveOption { return func(l *LiveMonitor) { l.now = now } }

// WithLiveBlobResolver sets how offloaded realized returns are read.
func WithLiveBlobResolver(b BlobResolver) LiveOption { return func(l *LiveMonitor) { l.blobs = b } }

// WithLiveObserver sets who hears about passes.
func WithLiveObserver(o LiveObserver) LiveOption { return func(l *LiveMonitor) { l.observer = o } }

// WithLiveLogger sets where the scheduler reports failed ticks (default:
// nowhere).
func WithLiveLogger(log *slog.Logger) LiveOption { return func(l *LiveMonitor) { l.log = log } }

// NewLiveMonitor returns the live monitor over repo; runs gives each
// strategy's backtest context (its latest non-live run).
func NewLiveMonitor(repo *aggregates.Repository, runs RunSource, cfg LiveConfig, opts ...LiveOption) (*LiveMonitor, error) {
	if repo == nil || runs == nil {
		return nil, errors.New("new live monitor: nil repository or run source")
	}
	cfg.setDefaults()
	book, err := NewSnapshotBook(repo.Store(), repo.Registry())
	if err != nil {
		return nil, fmt.Errorf("new live monitor: %w", err)
	}
	l := &LiveMonitor{
		repo: repo, reg: repo.Registry(), runs: runs, cfg: cfg, now: time.Now, book: book,
		policies: newPolicyCache(repo), log: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(l)
	}
	return l, nil
}

// Name is the live monitor's subscription name.
func (l *LiveMonitor) Name() string { return LiveName }

// Handle keeps the snapshot book current and monitors the world of every
// recorded snapshot that carries realized returns, with that snapshot.
func (l *LiveMonitor) Handle(ctx context.Context, rec events.Record) error {
	if err := l.book.Observe(ctx, rec); err != nil {
		return fmt.Errorf("live monitoring: %w", err)
	}
	l.policies.observe(&rec)
	if rec.Type != events.TypeRiskSnapshotRecorded {
		return nil
	}
	snap, err := events.DecodeAs[events.RiskSnapshotRecorded](l.reg, &rec.Event)
	if err != nil {
		return fmt.Errorf("live monitoring: %w", err)
	}
	if snap.RealizedReturns.Points() == 0 && snap.RealizedReturnsRef == "" {
		return nil
	}
	return l.pass(ctx, snap)
}

// Tick monitors world with its latest usable snapshot; a world without one,
// or whose snapshot has no realized returns, is left alone.
func (l *LiveMonitor) Tick(ctx context.Context, world string) error {
	snap, err := l.book.Latest(ctx, world, "", l.now())
	if err != nil || snap == nil {
		return err
	}
	return l.pass(ctx, snap)
}

// liveRun is one strategy of a pass.
type liveRun struct {
	strategy, runID string
	backtest        *float64
	n               int
	aggregates      []extended.LiveAggregate
	metrics         map[string]any
}

// pass monitors the world of snap with snap.
func (l *LiveMonitor) pass(ctx context.Context, snap *events.RiskSnapshotRecorded) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	world := snap.WorldID
	now := l.now().UTC()
	if exp, err := parseInstant(snap.ExpiresAt); err == nil && now.After(exp) {
		return nil // the TTL is how long consumers may use a snapshot (§2.5)
	}
	data := resolveSnapshot(ctx, l.blobs, snap)
	if data.realized == nil {
		return nil
	}
	updated, err := l.record(ctx, world, now, data)
	if l.observer != nil {
		status := "success"
		if err != nil {
			status = "failure"
		}
		l.observer.LivePass(world, status, updated)
	}
	if err != nil {
		return fmt.Errorf("live monitoring of %s at %s: %w", world, snap.AsOf, err)
	}
	return nil
}

// record materialises the live runs of one pass and records its outcome. It
// returns how many live runs it submitted.
func (l *LiveMonitor) record(ctx context.Context, world string, now time.Time, data *hubData) (int, error) {
	snap := data.snap
	views, err := l.runs.EvaluatedRuns(ctx, world)
	if err != nil {
		return 0, err
	}
	ids := make([]string, 0, len(data.weights))
	for id := range data.weights {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var runs []*liveRun
	updated := 0
	for _, s := range ids {
		series := data.realized.For(s)
		if len(series) == 0 {
			continue
		}
		lr := &liveRun{strategy: s, runID: liveRunID(world, s, snap.AsOf), n: len(series)}
		var tier, card string
		if bt := latestNonLive(views, s); bt != nil {
			var doc map[string]any
			if json.Unmarshal(bt.Metrics, &doc) == nil {
				lr.backtest = numberAt(doc, "returns", "sharpe")
			}
			tier = bt.RiskTier
			if bt.ModelCardVersion != nil {
				card = *bt.ModelCardVersion
			}
		}
		lr.aggregates = extended.LiveAggregates(series, l.cfg.Windows, lr.backtest)
		lr.metrics = liveMetrics(series, l.cfg.Windows, lr)
		ok, err := l.materialise(ctx, world, now, lr, tier, card)
		if err != nil {
			return updated, err
		}
		if ok {
			updated++
		}
		runs = append(runs, lr)
	}
	if len(runs) == 0 {
		return updated, nil
	}
	pol, version, err := l.policies.latest(ctx, world)
	if err != nil {
		return updated, err
	}
	result := l.rule(pol, runs)
	if err := l.appendEvaluated(ctx, world, now, snap, runs, result, version); err != nil {
		return updated, err
	}
	if result == nil || result.Status != rules.Fail {
		return updated, nil
	}
	return updated, l.tagDemotions(ctx, world, now, snap, runs, result, pol)
}

// liveRunID is QMTL's live run id: live-{world'}-{strategy'}-{ts'}, where
// the ids replace "/" with "-" and " " with "_", and ts' is as_of without
// ":", "-", "T", "+" and "Z" (2025-01-15T00:00:00Z → 20250115000000).
func liveRunID(world, strategy, asOf string) string {
	clean := strings.NewReplacer("/", "-", " ", "_")
	ts := strings.NewReplacer(":", "", "-", "", "T", "", "+", "", "Z", "").Replace(asOf)
	return "live-" + clean.Replace(world) + "-" + clean.Replace(strategy) + "-" + ts
}

// latestNonLive returns the strategy's latest run of a stage other than
// live, by (updated_at, created_at); nil when there is none.
func latestNonLive(views []projections.RunView, strategy string) *projections.RunView {
	var best *projections.RunView
	for i := range views {
		v := &views[i]
		if v.StrategyID != strategy || v.Stage == "live" {
			continue
		}
		if best == nil || v.UpdatedAt > best.UpdatedAt || v.UpdatedAt == best.UpdatedAt && v.CreatedAt >= best.CreatedAt {
			best = v
		}
	}
	return best
}

// liveMetrics is the metrics document of a live run: returns.sharpe = the
// backtest Sharpe (when known), and under diagnostics the tail of the series
// the longest window reads (the whole series would not fit an event), its
// full length, the live aggregates and the Sharpe convention.
func liveMetrics(series []float64, windows []int, lr *liveRun) map[string]any {
	longest := 0
	for _, w := range windows {
		longest = max(longest, w)
	}
	tail := series
	if longest > 0 && longest < len(series) {
		tail = series[len(series)-longest:]
	}
	// The live Sharpe is per period, not annualised (O11): recorded so that
	// a ratio against a Sharpe of another convention can be refused.
	diag := map[string]any{"live_returns": append([]float64(nil), tail...), "live_returns_len": float64(lr.n), "sharpe_convention": "per_period"}
	for _, a := range lr.aggregates {
		if a.Value != nil {
			diag[a.Name] = *a.Value
		}
	}
	doc := map[string]any{"diagnostics": diag}
	if lr.backtest != nil {
		doc["returns"] = map[string]any{"sharpe": *lr.backtest}
	}
	return doc
}

// materialise submits the live run (stage live); the evaluator and the
// extended handler take it from there. A run recorded by an earlier pass
// over the same as_of is kept as it is (runs are immutable), whatever its
// request. It reports whether it submitted.
func (l *LiveMonitor) materialise(ctx context.Context, world string, now time.Time, lr *liveRun, tier, card string) (bool, error) {
	raw, err := json.Marshal(lr.metrics)
	if err != nil {
		return false, fmt.Errorf("live run %s: %w", lr.runID, err)
	}
	stream, err := events.RunStream(world, lr.strategy, lr.runID)
	if err != nil {
		return false, err
	}
	req := events.EvaluationRunSubmitted{
		WorldID: world, StrategyID: lr.strategy, RunID: lr.runID, Stage: "live", RiskTier: tier,
		ModelCardVersion: card, Metrics: raw, SubmittedBy: LiveName,
	}
	res, err := aggregates.Update(ctx, l.repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
		if r.Exists() {
			return nil, nil
		}
		return r.Submit(l.reg, evaluationrun.Submit{
			Meta:    events.Meta{IdempotencyKey: "live_run:" + stream, OccurredAt: now, Actor: LiveName, CorrelationID: "evaluation_run:" + world + ":" + lr.strategy + ":" + lr.runID},
			Request: req,
		})
	})
	if err != nil {
		return false, fmt.Errorf("materialise %s: %w", stream, err)
	}
	return !res.Duplicate, nil
}

// rule evaluates the world-level live_monitoring rule over the pass's live
// runs, with D7 and the live ES gate (O18); nil when the policy has no
// live_monitoring block (or the world no policy).
func (l *LiveMonitor) rule(pol *policy.Policy, runs []*liveRun) *rules.RuleResult {
	if pol == nil || pol.LiveMonitoring == nil {
		return nil
	}
	cands := make([]rules.Candidate, len(runs))
	var esSum float64
	esN := 0
	for i, lr := range runs {
		flat := rules.ExtendedDerivatives(metrics.Flatten(lr.metrics))
		cands[i] = rules.Candidate{StrategyID: lr.strategy, Metrics: lr.metrics, Flat: flat}
		if es, ok := flat.Lookup("live_es_p01"); ok {
			esSum += es
			esN++
		}
	}
	out := rules.EvaluateSet(pol, rules.SetInput{Stage: "live", Candidates: cands})
	r, ok := out.Strategies[0].Validation.Results.Get(rules.LiveMonitoring)
	if !ok {
		return nil
	}
	r = extended.Aggregate(r)
	if max := liveESMax(pol, l.cfg.ESMax); max != nil {
		mean := 0.0
		if esN > 0 {
			mean = esSum / float64(esN)
		}
		r = extended.WithLiveES(r, *max, mean, esN > 0)
	}
	return &r
}

// appendEvaluated records the pass: LiveMonitoringEvaluated, keyed
// live_monitoring:{world}:{as_of}:{policy_version}.
func (l *LiveMonitor) appendEvaluated(ctx context.Context, world string, now time.Time, snap *events.RiskSnapshotRecorded, runs []*liveRun, result *rules.RuleResult, version int) error {
	p := events.LiveMonitoringEvaluated{
		AsOf: snap.AsOf, Snapshot: snap.SnapshotRef(), Windows: l.cfg.Windows,
		Strategies: make([]events.LiveStrategy, len(runs)), RuleResult: json.RawMessage("null"), PolicyVersion: version,
	}
	for i, lr := range runs {
		agg := make(map[string]*float64, len(lr.aggregates))
		for _, a := range lr.aggregates {
			agg[a.Name] = a.Value
		}
		p.Strategies[i] = events.LiveStrategy{StrategyID: lr.strategy, RunID: lr.runID, BacktestSharpe: lr.backtest, LiveReturnsLen: lr.n, Aggregates: agg}
	}
	if result != nil {
		raw, err := json.Marshal(result)
		if err != nil {
			return fmt.Errorf("live monitoring result: %w", err)
		}
		p.RuleResult = raw
	}
	return l.appendLive(ctx, world, p, events.Meta{IdempotencyKey: events.LiveMonitoringKey(world, snap.AsOf, version), OccurredAt: now, Actor: LiveName})
}

// tagDemotions records one DemotionCandidateTagged per strategy of a
// failing pass (O5), keyed demotion:{world}:{strategy}:{as_of}; demotion
// itself stays a human decision.
func (l *LiveMonitor) tagDemotions(ctx context.Context, world string, now time.Time, snap *events.RiskSnapshotRecorded, runs []*liveRun, result *rules.RuleResult, pol *policy.Policy) error {
	thresholds := map[string]float64{}
	lm := pol.LiveMonitoring
	for _, t := range []struct {
		key string
		v   *float64
	}{{"sharpe_min", lm.SharpeMin}, {"dd_max", lm.DDMax}, {"decay_threshold", lm.DecayThreshold}, {"es_max", liveESMax(pol, l.cfg.ESMax)}} {
		if t.v != nil {
			thresholds[t.key] = *t.v
		}
	}
	codes := strings.Split(result.Reason, ", ")
	for _, lr := range runs {
		agg := map[string]*float64{}
		for _, a := range lr.aggregates {
			agg[a.Name] = a.Value
		}
		p := events.DemotionCandidateTagged{
			StrategyID: lr.strategy, RunID: lr.runID, AsOf: snap.AsOf, ReasonCodes: codes,
			LiveSharpe: agg["live_sharpe"], LiveMaxDrawdown: agg["live_max_drawdown"], DecayRatio: agg["live_vs_backtest_sharpe_ratio"],
			Thresholds: thresholds, RequiresManualReview: true,
		}
		if err := l.appendLive(ctx, world, p, events.Meta{IdempotencyKey: events.DemotionKey(world, lr.strategy, snap.AsOf), OccurredAt: now, Actor: LiveName}); err != nil {
			return err
		}
	}
	return nil
}

// appendLive appends one event to live-monitoring/{world}; a replay of its
// key is a no-op.
func (l *LiveMonitor) appendLive(ctx context.Context, world string, payload any, meta events.Meta) error {
	stream, err := events.LiveMonitoringStream(world)
	if err != nil {
		return err
	}
	ev, err := l.reg.New(payload, meta)
	if err != nil {
		return err
	}
	if _, err := l.repo.Store().Append(ctx, stream, eventstore.Any{}, ev); err != nil {
		return fmt.Errorf("append to %s: %w", stream, err)
	}
	return nil
}
