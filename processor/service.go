package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// Service is one running worldval process: the event store, the read models,
// the HTTP API and the background workers. Build it with [New], run it with
// [Service.Run].
type Service struct {
	cfg     Config
	log     *slog.Logger
	store   *sqlite.Store
	metrics *Metrics
	models  *readModels
	runners []*Runner
	server  *http.Server
	ln      net.Listener
	runCfg  runConfig
	// kafka is the Kafka ingress and outbox relay (service_kafka.go); nil
	// without brokers.
	kafka *kafkaWiring
	// hub is the risk hub's blob store and freshness probe
	// (service_riskhub.go).
	hub *riskHubWiring
	// ext is the extended validation handler, live monitor and exit
	// engine (service_extended.go).
	ext *extendedWiring
}

// Option adjusts what [New] builds.
type Option func(*options)

type options struct {
	storeOpts []sqlite.Option
	workers   []Worker
	now       func() time.Time
	runCfg    runConfig
	// withoutEvaluator leaves the evaluator out, for tests that need runs
	// to stay evaluating.
	withoutEvaluator bool
	// kafka holds the Kafka options (service_kafka.go).
	kafka kafkaOptions
	// applied is told about every event a read model applies.
	applied func(projection string, rec *events.Record)
}

// WithStoreOptions passes options to the embedded sqlite event store, after
// the service's own (tests inject a clock with [sqlite.WithClock]).
func WithStoreOptions(opts ...sqlite.Option) Option {
	return func(o *options) { o.storeOpts = append(o.storeOpts, opts...) }
}

// WithWorkers adds workers to the ones the service always runs. Each runs as
// a checkpointed subscription under its own name, like the evaluator.
func WithWorkers(ws ...Worker) Option {
	return func(o *options) { o.workers = append(o.workers, ws...) }
}

// WithAppliedHook calls fn each time a read model has applied an event, with
// the read model's name, once the change is visible to the API's reads. It
// is called from that read model's subscription goroutine, so it must return
// quickly and not block; `worldval bench` uses it to time when a verdict
// becomes visible without polling. The rebuild that fills an empty read
// model at start reports nothing.
func WithAppliedHook(fn func(projection string, rec *events.Record)) Option {
	return func(o *options) { o.applied = fn }
}

// New opens what the configuration names (the event store, the listener),
// builds the read models, the HTTP API and the workers, and returns a service
// ready to run. On error nothing is left open.
func New(ctx context.Context, cfg Config, log *slog.Logger, opts ...Option) (*Service, error) {
	if log == nil {
		return nil, errors.New("processor: nil logger")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	auth, err := NewAuthenticator(cfg.Auth, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	rt, err := cfg.Runtime.Apply(os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	log.Debug("go runtime", "gc_percent", rt.GCPercent, "gc_percent_from_GOGC", rt.GCPercentFromEnv,
		"memory_limit_bytes", rt.MemoryLimit, "memory_limit_from_GOMEMLIMIT", rt.MemoryLimitFromEnv,
		"max_procs", rt.MaxProcs, "max_procs_from_GOMAXPROCS", rt.MaxProcsFromEnv)
	metrics := NewMetrics()
	reg := events.Catalogue()
	store, err := sqlite.Open(ctx, EventStorePath(cfg.DataDir), append([]sqlite.Option{sqlite.WithRegistry(reg)}, o.storeOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	if from, ok := store.Migrated(); ok {
		log.Warn("event store migrated to this build's schema; builds before it no longer open it",
			"event_store", store.Path(), "from_schema_version", from, "schema_version", sqlite.SchemaVersion)
	}
	s, err := build(cfg, log, store, auth, metrics, reg, &o)
	if err != nil {
		store.Close()
		return nil, err
	}
	if s.ln, err = net.Listen("tcp", cfg.HTTP.Addr); err != nil {
		_ = s.kafka.close()
		_ = s.hub.close()
		store.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	return s, nil
}

// build wires the service over an open store: the repository, the read
// models, the workers and the HTTP API.
func build(cfg Config, log *slog.Logger, store *sqlite.Store, auth *Authenticator, metrics *Metrics, reg *events.Registry, o *options) (*Service, error) {
	repo, err := aggregates.NewRepository(timedStore{Store: store, metrics: metrics}, reg)
	if err != nil {
		return nil, fmt.Errorf("repository: %w", err)
	}
	models, err := newReadModels(store, reg)
	if err != nil {
		return nil, err
	}
	for _, lp := range models.live {
		lp.applied = o.applied
	}

	var workers []Worker
	if !o.withoutEvaluator {
		evaluator, err := newEvaluator(repo, models.runs, metrics, o.now) // EVALUATOR: the verdict worker
		if err != nil {
			return nil, err
		}
		workers = append(workers, evaluator)
	}
	workers = append(workers, o.workers...)
	runners, err := newWorkerRunners(store, store, workers)
	if err != nil {
		return nil, err
	}

	api, err := newAPI(repo, models, auth, metrics, log, o.now)
	if err != nil {
		return nil, err
	}
	// RISK HUB: the snapshot ledger behind /risk-hub and the
	// worldval.risk-snapshots topic.
	hub, err := newRiskHubWiring(&cfg.RiskHub, repo, models, metrics, log, o.now)
	if err != nil {
		return nil, err
	}
	api.hub = hub.hub
	// EXTENDED: extended validation, live monitoring and the exit engine,
	// each its own checkpointed runner, reading blobs through the hub.
	ext, err := newExtendedWiring(&cfg, repo, models, hub.hub, hub.metrics, log, o.now)
	if err != nil {
		return nil, errors.Join(err, hub.close())
	}
	extRunners, err := newWorkerRunners(store, store, ext.workers())
	if err != nil {
		return nil, errors.Join(err, hub.close())
	}
	runners = append(runners, extRunners...)
	if o.kafka.handlers[cloudevents.TypeRiskSnapshotUpdated] == nil {
		WithKafkaCommandHandler(cloudevents.TypeRiskSnapshotUpdated, hub.hub)(o)
	}
	o.kafka.hubMetrics = hub.metrics
	// KAFKA: the ingress over the API's commands, and the outbox relay as
	// one more runner (nil and none without brokers).
	kafka, err := newKafkaWiring(cfg.Kafka, api, store, store, reg, log, metrics, &o.kafka)
	if err != nil {
		return nil, errors.Join(err, hub.close())
	}
	runners = append(runners, kafka.runners()...)

	mux := http.NewServeMux()
	api.register(mux, api.routes(map[string]ReadinessCheck{
		"event_store": func(ctx context.Context) error { _, err := store.Head(ctx); return err },
		"projections": models.Ready,
	}))
	return &Service{
		cfg: cfg, log: log, store: store, metrics: metrics, models: models, runners: runners,
		server: cfg.HTTP.NewServer(metrics.InstrumentHTTP(api.jsonFallback(mux)), log),
		runCfg: o.runCfg, kafka: kafka, hub: hub, ext: ext,
	}, nil
}

// Addr is the address the HTTP API listens on (useful with port 0).
func (s *Service) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx is done. It starts the HTTP listener at once (the
// probes answer while the service starts; /readyz and the API answer 503
// until the read models have caught up), catches the read models up with the
// store, keeps them current, and starts the workers once they have caught up.
// When ctx is done it shuts down in order: stop accepting requests and let
// in-flight ones finish, stop the subscriptions and workers (saving their
// checkpoints), close the event store. It returns nil after a clean shutdown.
func (s *Service) Run(ctx context.Context) error {
	bg, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBg()
	g, gctx := errgroup.WithContext(bg)

	errc := make(chan error, 1)
	go func() { errc <- s.server.Serve(s.ln) }()
	s.log.Info("worldval starting", "listen", s.Addr(), "event_store", EventStorePath(s.cfg.DataDir))

	s.models.start(gctx, g, s.log, s.metrics, s.runCfg)
	g.Go(func() error {
		select {
		case <-s.models.caughtUp:
		case <-gctx.Done():
			return nil
		}
		startRunners(gctx, g, s.runners, s.log, s.metrics, s.runCfg)
		s.kafka.start(gctx, g)
		s.hub.start(gctx, g)
		s.ext.start(gctx, g)
		s.log.Info("worldval serving", "http", "http://"+s.Addr(), "event_store", EventStorePath(s.cfg.DataDir), "workers", len(s.runners))
		return nil
	})

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	case <-gctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := s.server.Shutdown(shutdownCtx); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("http shutdown: %w", err))
	}
	stopBg()
	if err := g.Wait(); err != nil {
		serveErr = errors.Join(serveErr, err)
	}
	if err := s.kafka.close(); err != nil {
		serveErr = errors.Join(serveErr, err)
	}
	if err := s.hub.close(); err != nil {
		serveErr = errors.Join(serveErr, err)
	}
	if err := s.store.Close(); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("close event store: %w", err))
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	s.log.Info("worldval stopped")
	return serveErr
}
