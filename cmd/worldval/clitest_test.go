package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/worldval/worldval/processor"
)

// runCLIWith runs the entry point in-process with an environment of its own
// and returns the exit status and outputs.
func runCLIWith(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), args, &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }})
	return code, out.String(), errb.String()
}

// startTestService runs the real service in-process on a temporary data
// directory and a free loopback port with the given auth tokens (none: the
// loopback-only embedded profile), stopped when the test ends. It returns
// the service's URL and its data directory.
func startTestService(t *testing.T, tokens ...processor.TokenConfig) (string, string) {
	t.Helper()
	url, dir, _ := startStoppableService(t, tokens...)
	return url, dir
}

// startStoppableService is startTestService that also returns a function
// that stops the service (at most once; the test's end stops it otherwise).
func startStoppableService(t *testing.T, tokens ...processor.TokenConfig) (string, string, func()) {
	t.Helper()
	dir := t.TempDir()
	cfg := processor.Config{DataDir: dir, HTTP: processor.HTTPConfig{Addr: "127.0.0.1:0"}, Auth: processor.AuthConfig{Tokens: tokens}}
	svc, err := startEmbedded(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {
		if err := svc.stop(); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(stop)
	return svc.url, dir, stop
}
