package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/blobstore"
)

// blobStoreOpenTimeout bounds connecting to the blob store at start.
const blobStoreOpenTimeout = 10 * time.Second

// riskHubWiring is the service's risk hub: its blob store, the hub (the
// snapshot command of both ingresses and the /risk-hub reads) and the
// freshness probe. A nil *riskHubWiring does nothing.
type riskHubWiring struct {
	blobs   blobstore.Store
	hub     *riskHub
	probe   *freshnessProbe
	metrics *RiskHubMetrics
}

// newRiskHubWiring opens the blob store cfg names and builds the hub over
// repo and the read models, with the risk-hub metrics on the service's
// registry. On error nothing is left open.
func newRiskHubWiring(cfg *RiskHubConfig, repo *aggregates.Repository, models *readModels, metrics *Metrics, log *slog.Logger, now func() time.Time) (*riskHubWiring, error) {
	ctx, cancel := context.WithTimeout(context.Background(), blobStoreOpenTimeout)
	defer cancel()
	blobs, err := cfg.openBlobStore(ctx)
	if err != nil {
		return nil, fmt.Errorf("risk hub: blob store: %w", err)
	}
	hm := NewRiskHubMetrics(metrics.Registry())
	hub, err := newRiskHub(cfg, repo, blobs, models, hm, log, now)
	if err != nil {
		return nil, errors.Join(err, blobs.Close())
	}
	if now == nil {
		now = time.Now
	}
	return &riskHubWiring{
		blobs: blobs, hub: hub, metrics: hm,
		probe: &freshnessProbe{latest: hub.latest, metrics: hm, interval: cfg.FreshnessInterval, now: now, log: log},
	}, nil
}

// start runs the freshness probe on g until ctx is done.
func (w *riskHubWiring) start(ctx context.Context, g goer) {
	if w == nil {
		return
	}
	g.Go(func() error {
		w.probe.run(ctx)
		return nil
	})
}

// close releases the blob store.
func (w *riskHubWiring) close() error {
	if w == nil {
		return nil
	}
	if err := w.blobs.Close(); err != nil {
		return fmt.Errorf("close blob store: %w", err)
	}
	return nil
}
