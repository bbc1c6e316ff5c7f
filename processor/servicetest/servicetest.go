// Package servicetest runs the real worldval service in-process for the
// tests of other packages (the client, the CLI, the examples): on a
// temporary data directory and a free loopback port, stopped when the test
// ends.
package servicetest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/worldval/worldval/processor"
)

// readyTimeout bounds the wait for /readyz after the start.
const readyTimeout = 30 * time.Second

// Start runs the service with cfg until the test ends and returns its base
// URL ("http://127.0.0.1:PORT") once /readyz answers 200. An empty
// cfg.DataDir takes a temporary directory, an empty cfg.HTTP.Addr a free
// loopback port. The test fails when the service does not start, does not
// become ready, or stops with an error.
func Start(t testing.TB, cfg processor.Config) string {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.HTTP.Addr == "" {
		cfg.HTTP.Addr = "127.0.0.1:0"
	}
	svc, err := processor.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("service stopped with %v", err)
		}
	})
	base := "http://" + svc.Addr()
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service at %s was not ready within %v: %v", base, readyTimeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
