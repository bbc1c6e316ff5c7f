package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/processor"
)

// embedded is a worldval service run in-process by a command (demo, bench):
// the real service, event store and HTTP API, on a loopback port.
type embedded struct {
	svc    *processor.Service
	url    string
	cancel context.CancelFunc
	done   chan error
	// stopped makes stop idempotent; stopErr is what the first call got.
	stopped sync.Once
	stopErr error
}

// startEmbedded opens and starts the service cfg describes, with opts, and
// waits until it is ready (its read models have caught up), at most
// readyWithin. Stop it with [embedded.stop]; the goroutine that runs it is
// owned by the returned value.
func startEmbedded(ctx context.Context, cfg processor.Config, log *slog.Logger, readyWithin time.Duration, opts ...processor.Option) (*embedded, error) {
	svc, err := processor.New(ctx, cfg, log, opts...)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &embedded{svc: svc, url: "http://" + svc.Addr(), cancel: cancel, done: make(chan error, 1)}
	go func() { e.done <- svc.Run(runCtx) }()
	c, err := client.New(e.url)
	if err != nil {
		return nil, errors.Join(err, e.stop())
	}
	deadline := time.Now().Add(readyWithin)
	for {
		err := c.Ready(ctx)
		if err == nil {
			return e, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, errors.Join(fmt.Errorf("the embedded service did not become ready within %s: %w", readyWithin, err), e.stop())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop shuts the service down in order and waits for it; it returns the
// error Run ended with. Calling it again returns the same.
func (e *embedded) stop() error {
	e.stopped.Do(func() {
		e.cancel()
		if err := <-e.done; err != nil {
			e.stopErr = fmt.Errorf("embedded service: %w", err)
		}
	})
	return e.stopErr
}
