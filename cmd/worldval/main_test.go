package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/processor"
)

// runCLI runs the binary's entry point in-process and returns its exit status
// and outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &environment{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestHelpListsEveryCommand(t *testing.T) {
	code, out, _ := runCLI(t, "help")
	if code != exitOK {
		t.Fatalf("help exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("help does not list %q:\n%s", c.name, out)
		}
		code, usage, stderr := runCLI(t, append(strings.Fields(c.name), "--help")...)
		if code != exitOK || strings.Count(usage, "Usage: worldval "+c.name) != 1 || stderr != "" {
			t.Errorf("%s --help: exit %d, want the usage once on stdout and nothing on stderr; stdout %q, stderr %q", c.name, code, usage, stderr)
		}
	}
}

func TestUnknownCommandAndBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"version", "extra"}, {"replay", "--as-of", "yesterday"}, {"audit", "verify", "--nope"}} {
		code, _, stderr := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, exitUsage, stderr)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "worldval") {
			t.Errorf("%v: stderr %q, want one line naming the problem", args, stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "worldval ") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}

// seedStore writes n runs' submissions into a fresh embedded store and returns
// the data dir and the stored records.
func seedStore(t *testing.T, n int) (string, []events.Record) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	reg := events.Catalogue()
	st, err := sqlite.Open(ctx, processor.EventStorePath(dir), sqlite.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		stream, _ := events.RunStream("w1", fmt.Sprintf("strat-%d", i), "run-1")
		ev, err := reg.New(events.EvaluationRunSubmitted{
			WorldID: "w1", StrategyID: fmt.Sprintf("strat-%d", i), RunID: "run-1", Stage: "backtest",
			RiskTier: "unknown", Metrics: []byte(fmt.Sprintf(`{"returns":{"sharpe":%d.5}}`, i)), RequestHash: fmt.Sprintf("marker-%04d-zzzz", i),
		}, events.Meta{IdempotencyKey: fmt.Sprintf("seed-%d", i), OccurredAt: base.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Append(ctx, stream, eventstore.NoStream{}, ev); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := st.ReadAll(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, recs
}

func TestAuditVerifyCleanStore(t *testing.T) {
	dir, recs := seedStore(t, 5)
	code, out, stderr := runCLI(t, "audit", "verify", "--data-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, fmt.Sprintf("events: %d in %d streams", len(recs), len(recs))) || !strings.Contains(out, "hash chains: ok") {
		t.Fatalf("unexpected summary:\n%s", out)
	}
}

// TestAuditVerifyDetectsOneFlippedByte corrupts one byte of one stored payload
// directly in the sqlite file: verify must fail and name exactly that event.
func TestAuditVerifyDetectsOneFlippedByte(t *testing.T) {
	dir, recs := seedStore(t, 5)
	path := processor.EventStorePath(dir)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	victim := recs[3]
	marker := []byte("marker-0003-zzzz")
	if bytes.Count(raw, marker) != 1 {
		t.Fatalf("marker found %d times in the file", bytes.Count(raw, marker))
	}
	i := bytes.Index(raw, marker)
	raw[i+len(marker)-1] = 'y' // "zzzz" → "zzzy": still valid JSON, different content
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "audit", "verify", "--data-dir", dir)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailure, out)
	}
	if !strings.Contains(out, victim.ID) || !strings.Contains(out, "BROKEN") {
		t.Fatalf("output does not name event %s:\n%s", victim.ID, out)
	}
	for _, other := range recs {
		if other.ID != victim.ID && strings.Contains(out, other.ID) {
			t.Errorf("output names untouched event %s", other.ID)
		}
	}
}

func TestAuditVerifyMissingStore(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "audit", "verify", "--data-dir", filepath.Join(dir, "nope"))
	if code != exitUsage || !strings.Contains(stderr, "no event store") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); !os.IsNotExist(err) {
		t.Fatalf("verify created the data dir")
	}
}

func TestReplayAsOf(t *testing.T) {
	dir, recs := seedStore(t, 3)
	code, out, stderr := runCLI(t, "replay", "--data-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "3 events in 3 streams") || strings.Count(out, `"status":"evaluating"`) != 3 {
		t.Fatalf("replay now:\n%s", out)
	}
	// As of just before the second event was recorded, only the first exists.
	cut := recs[1].RecordedAt.Add(-time.Nanosecond).Format(time.RFC3339Nano)
	code, out, _ = runCLI(t, "replay", "--data-dir", dir, "--as-of", cut)
	if code != exitOK || !strings.Contains(out, "1 events in 1 streams") || !strings.Contains(out, recs[0].Stream) || strings.Contains(out, recs[1].Stream) {
		t.Fatalf("replay as of %s:\n%s", cut, out)
	}
}
