package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// Worker is an event-driven handler that the service runs as a checkpointed
// subscription (a [Runner]), such as the evaluator. Handle receives every
// event of the store in global order and must be idempotent: after a crash or
// a failure it sees events again from its last saved checkpoint.
type Worker interface {
	// Name is the worker's stable name, under which its checkpoint is
	// stored. Renaming a worker makes it start again from position 0.
	Name() string
	// Handle processes one event. An error stops the worker's runner,
	// which the service counts, logs and restarts from the checkpoint.
	Handle(ctx context.Context, rec events.Record) error
}

// BatchWorker is a [Worker] that can take the events waiting at one moment
// together, and share work between them (one pass over a cohort for many
// runs, evaluations in parallel). The service runs it with
// [NewBatchRunner]; HandleBatch must be idempotent for every event of a
// batch, since a failed or interrupted batch is delivered again as a whole.
// Handle stays the one-event form, for tests and tools.
type BatchWorker interface {
	Worker
	// HandleBatch processes recs, in global order, as one unit.
	HandleBatch(ctx context.Context, recs []events.Record) error
}

// How often a worker's runner saves its checkpoint. Workers are idempotent,
// so a checkpoint behind the truth costs only re-delivery after a crash;
// saving after every event would cost a durable write per event, and the
// evaluator sees eight events per run (the submission, then its own
// MetricsComputed, RuleEvaluated×5 and EvaluationCompleted).
const (
	// workerCheckpointEvery saves after this many handled events.
	workerCheckpointEvery = 256
	// workerCheckpointInterval saves unsaved progress at least this often.
	workerCheckpointInterval = 250 * time.Millisecond
)

// newWorkerRunners returns one [Runner] per worker over store, keeping its
// checkpoint in cps under the worker's name and saving it every
// workerCheckpointEvery events or workerCheckpointInterval. Two workers with
// one name would share a checkpoint, so they are refused.
func newWorkerRunners(store eventstore.Store, cps eventstore.Checkpoints, workers []Worker) ([]*Runner, error) {
	seen := make(map[string]bool, len(workers))
	runners := make([]*Runner, 0, len(workers))
	for _, w := range workers {
		if w == nil {
			return nil, errors.New("workers: nil worker")
		}
		if seen[w.Name()] {
			return nil, fmt.Errorf("workers: two workers named %q would share a checkpoint", w.Name())
		}
		seen[w.Name()] = true
		cfg := RunnerConfig{
			Name: w.Name(), CheckpointEvery: workerCheckpointEvery, CheckpointInterval: workerCheckpointInterval,
		}
		var r *Runner
		var err error
		if bw, ok := w.(BatchWorker); ok {
			r, err = NewBatchRunner(store, cps, bw.HandleBatch, cfg)
		} else {
			r, err = NewRunner(store, cps, w.Handle, cfg)
		}
		if err != nil {
			return nil, fmt.Errorf("workers: %w", err)
		}
		runners = append(runners, r)
	}
	return runners, nil
}

// startRunners launches, on g, one goroutine per runner that runs it until
// ctx is done. A runner that fails (its handler, the store, a checkpoint
// save) is counted as a subscription error, logged and started again from
// its checkpoint after a backoff; it never stops the service, since stopping
// would not make the event it fails on any better.
func startRunners(ctx context.Context, g goer, runners []*Runner, log *slog.Logger, metrics *Metrics, cfg runConfig) {
	cfg.setDefaults()
	for _, r := range runners {
		g.Go(func() error {
			runWorker(ctx, r, log.With("worker", r.Name()), metrics, cfg)
			return nil
		})
	}
}

// runWorker runs r until ctx is done, restarting it with backoff after each
// failure.
func runWorker(ctx context.Context, r *Runner, log *slog.Logger, metrics *Metrics, cfg runConfig) {
	log.Info("worker started")
	backoff := cfg.minBackoff
	for {
		started := time.Now()
		err := r.Run(ctx)
		if ctx.Err() != nil {
			if err != nil {
				log.Error("worker stopped with an error", "err", err)
			}
			return
		}
		if err == nil { // Run returns nil only on cancellation
			return
		}
		metrics.SubscriptionError(r.Name())
		log.Error("worker failed; restarting from its checkpoint", "err", err, "retry_in", backoff)
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = nextBackoff(backoff, time.Since(started), cfg)
	}
}
