package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/worldval/worldval/processor"
)

// loadServe parses args as the serve command's flags and loads the
// configuration they name, with env as the environment.
func loadServe(t *testing.T, args []string, env map[string]string) (processor.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flags := declareServeFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return flags.load(func(k string) string { return env[k] })
}

// TestServeConfigPrecedence checks flag > environment > file > default for
// the keys the flags set, and that a flag left out overrides nothing.
func TestServeConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "worldval.yaml")
	if err := os.WriteFile(file, []byte("data_dir: /file\nhttp:\n  addr: 127.0.0.1:1001\nlog:\n  level: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WORLDVAL_HTTP_ADDR": "127.0.0.1:1002"}
	cases := []struct {
		name          string
		args          []string
		dataDir, addr string
	}{
		{"defaults", nil, "data", "127.0.0.1:8080"},
		{"file", []string{"--config", file}, "/file", "127.0.0.1:1002"},
		{"flags", []string{"--config", file, "--http", "127.0.0.1:1003", "--data-dir", "/flag"}, "/flag", "127.0.0.1:1003"},
		{"flag equal to its default still wins", []string{"--config", file, "--http", "127.0.0.1:8080"}, "/file", "127.0.0.1:8080"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := env
			if tc.args == nil {
				e = nil
			}
			cfg, err := loadServe(t, tc.args, e)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DataDir != tc.dataDir || cfg.HTTP.Addr != tc.addr {
				t.Fatalf("data_dir %q http.addr %q, want %q %q", cfg.DataDir, cfg.HTTP.Addr, tc.dataDir, tc.addr)
			}
		})
	}
}

// TestServeRejectsBadConfig runs the command: a configuration problem is a
// usage error (exit 2) naming the key's path and line, before anything opens.
func TestServeRejectsBadConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "worldval.yaml")
	if err := os.WriteFile(file, []byte("auth:\n  tokens:\n    - principal: a\n      scope: read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	env := &environment{stdout: io.Discard, stderr: &stderr, getenv: func(string) string { return "" }}
	code := run(context.Background(), []string{"serve", "--config", file}, env)
	if code != exitUsage || !strings.Contains(stderr.String(), file+":4: auth.tokens[0].scope: unknown key") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestServeConfigErrorIsConfigError(t *testing.T) {
	_, err := loadServe(t, []string{"--http", "nonsense"}, nil)
	var ce *processor.ConfigError
	if !errors.As(err, &ce) || ce.Problems[0].Path != "http.addr" {
		t.Fatalf("err = %v", err)
	}
}

// TestServeWarnsWithoutTokens runs serve in-process with no tokens: it must
// warn that only loopback callers are served, as "local", then serve.
func TestServeWarnsWithoutTokens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	env := &environment{stdout: io.Discard, stderr: pw, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data-dir", filepath.Join(t.TempDir(), "data"), "--http", "127.0.0.1:0"}, env)
		pw.Close()
	}()
	var seen []string
	buf := make([]byte, 64<<10)
	for !strings.Contains(strings.Join(seen, ""), "worldval serving") {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("serve stopped before serving (exit %d): %s", <-done, strings.Join(seen, ""))
		}
		seen = append(seen, string(buf[:n]))
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	out := strings.Join(seen, "")
	if !strings.Contains(out, `level=WARN msg="no auth tokens configured: serving loopback callers only, all recorded as principal \"local\"; configure auth.tokens to serve other hosts" profile=embedded`) {
		t.Fatalf("no loopback warning before serving:\n%s", out)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d after cancel", code)
	}
}
