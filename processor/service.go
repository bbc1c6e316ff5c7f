package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// Service is one running worldval process: the event store, the HTTP API and
// the background workers. Build it with [New], run it with [Service.Run].
type Service struct {
	cfg     Config
	log     *slog.Logger
	store   *sqlite.Store
	auth    *Authenticator
	metrics *Metrics
	server  *http.Server
	ln      net.Listener
}

// New opens what the configuration names (the event store, the listener) and
// returns a service ready to run. On error nothing is left open.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if log == nil {
		return nil, errors.New("processor: nil logger")
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	auth, err := NewAuthenticator(cfg.Auth, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	metrics := NewMetrics()
	store, err := sqlite.Open(ctx, EventStorePath(cfg.DataDir), sqlite.WithRegistry(events.Catalogue()))
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	s := &Service{cfg: cfg, log: log, store: store, auth: auth, metrics: metrics, ln: ln}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", healthHandler())
	mux.Handle("GET /readyz", readyHandler(map[string]ReadinessCheck{
		"event_store": func(ctx context.Context) error { _, err := store.Head(ctx); return err },
	}))
	mux.Handle("GET /metrics", auth.Require(ScopeRead, metrics.Handler()))
	s.server = cfg.HTTP.NewServer(metrics.InstrumentHTTP(mux), log)
	return s, nil
}

// Addr is the address the HTTP API listens on (useful with port 0).
func (s *Service) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx is done, then shuts down in order: stop accepting
// requests, let in-flight ones finish, close the event store. It returns nil
// after a clean shutdown.
func (s *Service) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.server.Serve(s.ln) }()
	s.log.Info("worldval serving", "http", "http://"+s.Addr(), "event_store", EventStorePath(s.cfg.DataDir))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := s.server.Shutdown(shutdownCtx); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("http shutdown: %w", err))
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
