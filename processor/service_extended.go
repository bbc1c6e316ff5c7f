package processor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/projections"
)

// readModelWait bounds how long the extended validation handler waits for
// the run read model to reach a trigger before it uses what the model has
// (only the first pass over a world reads the model).
const readModelWait = 5 * time.Second

// extendedWiring is the service's extended-layer workers (risk-hub §3, §5):
// the extended validation handler, the live monitor and the exit engine,
// each run as its own checkpointed runner, and the live monitor's schedule.
// A nil *extendedWiring does nothing.
type extendedWiring struct {
	extended *handlers.ExtendedValidator
	live     *handlers.LiveMonitor
	exit     *handlers.ExitEngine
	log      *slog.Logger
}

// newExtendedWiring builds the three workers over repo, reading runs from
// the run read model, offloaded snapshot members through blobs, and
// reporting to the risk-hub metrics hm. now nil keeps the workers' own
// clocks.
func newExtendedWiring(cfg *Config, repo *aggregates.Repository, models *readModels, blobs handlers.BlobResolver, hm *RiskHubMetrics, log *slog.Logger, now func() time.Time) (*extendedWiring, error) {
	extCfg, liveCfg, exitCfg := extendedConfigs(cfg)
	runs := handlers.RunViewSource{Runs: models.runs}
	obs := extendedMetrics{m: hm}
	xopts := []handlers.ExtendedOption{
		handlers.WithBlobResolver(blobs),
		handlers.WithExtendedObserver(obs),
		handlers.WithReadModelWait(func(ctx context.Context, pos uint64) bool {
			return models.waitFor(ctx, pos, readModelWait, projections.RunCurrentName)
		}),
	}
	lopts := []handlers.LiveOption{handlers.WithLiveBlobResolver(blobs), handlers.WithLiveObserver(obs), handlers.WithLiveLogger(log)}
	eopts := []handlers.ExitOption{handlers.WithExitBlobResolver(blobs)}
	if now != nil {
		xopts = append(xopts, handlers.WithExtendedClock(now))
		lopts = append(lopts, handlers.WithLiveClock(now))
		eopts = append(eopts, handlers.WithExitClock(now))
	}
	x, err := handlers.NewExtendedValidator(repo, runs, extCfg, xopts...)
	if err != nil {
		return nil, fmt.Errorf("extended validation: %w", err)
	}
	l, err := handlers.NewLiveMonitor(repo, runs, liveCfg, lopts...)
	if err != nil {
		return nil, fmt.Errorf("live monitoring: %w", err)
	}
	e, err := handlers.NewExitEngine(repo, exitCfg, eopts...)
	if err != nil {
		return nil, fmt.Errorf("exit engine: %w", err)
	}
	return &extendedWiring{extended: x, live: l, exit: e, log: log}, nil
}

// workers returns the three workers, each run from its own checkpoint.
func (w *extendedWiring) workers() []Worker {
	if w == nil {
		return nil
	}
	return []Worker{w.extended, w.live, w.exit}
}

// start runs the live monitor's schedule on g until ctx is done.
func (w *extendedWiring) start(ctx context.Context, g goer) {
	if w == nil {
		return
	}
	g.Go(func() error {
		return w.live.RunScheduler(ctx)
	})
}

// extendedMetrics reports the extended passes and live-monitoring passes to
// the risk-hub metrics; it is the workers' observer.
type extendedMetrics struct{ m *RiskHubMetrics }

// ExtendedPass counts a pass and times it (extended_validation_run_total,
// extended_validation_run_latency_seconds).
func (o extendedMetrics) ExtendedPass(world, stage, status string, took time.Duration) {
	o.m.ExtendedValidationRun(world, stage, status)
	o.m.ObserveExtendedValidation(world, stage, took)
}

// SnapshotMissing counts a pass without a usable snapshot
// (risk_hub_snapshot_missing_total).
func (o extendedMetrics) SnapshotMissing(world string) { o.m.SnapshotMissing(world) }

// LivePass counts a live-monitoring pass and the live runs it materialised.
func (o extendedMetrics) LivePass(world, status string, updated int) {
	o.m.LiveMonitoringRun(world, status)
	o.m.LiveMonitoringUpdated(world, updated)
}
