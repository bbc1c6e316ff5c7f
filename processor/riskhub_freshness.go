package processor

import (
	"context"
	"log/slog"
	"time"

	"github.com/worldval/worldval/projections"
)

// freshnessProbe sets risk_hub_snapshot_lag_seconds of every world that has
// recorded a snapshot, every interval (D19): now − as_of of the world's
// newest snapshot, expired or not, so that the gauge keeps growing when a
// producer stops instead of freezing between extended-validation runs as in
// QMTL.
type freshnessProbe struct {
	latest   *projections.SnapshotLatest
	metrics  *RiskHubMetrics
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// run probes at once and then every interval until ctx is done.
func (p *freshnessProbe) run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		if err := p.probe(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("risk hub: freshness probe failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// probe sets the lag of every world once.
func (p *freshnessProbe) probe(ctx context.Context) error {
	worlds, err := p.latest.Worlds(ctx)
	if err != nil {
		return err
	}
	now := p.now()
	for _, w := range worlds {
		head, err := p.latest.Head(ctx, w)
		if err != nil {
			return err
		}
		asOf, err := time.Parse(time.RFC3339Nano, head.AsOfInstant)
		if err != nil {
			p.log.Warn("risk hub: unreadable as_of in the newest snapshot", "world", w, "as_of_instant", head.AsOfInstant)
			continue
		}
		p.metrics.SnapshotLag(w, now.Sub(asOf))
	}
	return nil
}
