package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/examples"
	"github.com/worldval/worldval/processor"
)

// evaluatedStore runs the examples (a policy, model cards, four backtests
// and a paper run compared with its backtest) through the real service and
// returns its data directory once the service has stopped.
func evaluatedStore(t *testing.T) string {
	t.Helper()
	url, dir, stop := startStoppableService(t)
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	results, err := runExamples(t.Context(), io.Discard, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(examples.Strategies()) {
		t.Fatalf("%d verdicts for %d examples", len(results), len(examples.Strategies()))
	}
	stop()
	return dir
}

// openForAppend opens the stopped service's store to write history into it
// through the store's ordinary Append.
func openForAppend(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), processor.EventStorePath(dir), sqlite.WithRegistry(events.Catalogue()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// forgeRun copies the evaluated run (world, strategy, run) to a new run id
// with the verdict's status replaced by status, appending the submission and
// then the altered completion through the store's normal Append (which
// accepts any valid event). It returns the new run's stream.
func forgeRun(t *testing.T, st *sqlite.Store, world, strategy, run, newRun, status string) string {
	t.Helper()
	ctx := context.Background()
	reg := events.Catalogue()
	from, _ := events.RunStream(world, strategy, run)
	to, _ := events.RunStream(world, strategy, newRun)
	recs, err := st.ReadStream(ctx, from, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sub []events.Event
	var completion []events.Event
	for i := range recs {
		payload, err := reg.Decode(&recs[i].Event)
		if err != nil {
			t.Fatal(err)
		}
		meta := events.Meta{IdempotencyKey: "forged:" + to, Index: i, OccurredAt: recs[i].OccurredAt, Actor: recs[i].Actor}
		switch p := payload.(type) {
		case *events.EvaluationRunSubmitted:
			p.RunID = newRun
			meta.IdempotencyKey = "forged-submission:" + to
		case *events.EvaluationCompleted:
			if p.Status == status {
				t.Fatalf("%s already has status %s", from, status)
			}
			p.Status = status
		case *events.MetricsComputed, *events.RuleEvaluated:
		default:
			continue // later annotations are not copied
		}
		ev, err := reg.New(payload, meta)
		if err != nil {
			t.Fatal(err)
		}
		if recs[i].Type == events.TypeEvaluationRunSubmitted {
			sub = append(sub, ev)
		} else {
			completion = append(completion, ev)
		}
	}
	if _, err := st.Append(ctx, to, eventstore.NoStream{}, sub...); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, to, eventstore.Exact(1), completion...); err != nil {
		t.Fatal(err)
	}
	return to
}

// TestAuditReplay replays a store the real evaluator wrote: every verdict
// matches; then a forged completion (another status than the code computes)
// and a run never evaluated are added: the forged run is named with what
// differs (exit 1) and the other is skipped.
func TestAuditReplay(t *testing.T) {
	t.Parallel()
	dir := evaluatedStore(t)
	n := len(examples.Strategies())

	code, out, stderr := runCLI(t, "audit", "replay", "--data-dir", dir)
	if code != exitOK {
		t.Fatalf("replay of the evaluator's history: exit %d\n%s\n%s", code, out, stderr)
	}
	want := "audit replay: " + strconv.Itoa(n) + " runs checked, " + strconv.Itoa(n) + " matching, 0 differing; 0 skipped"
	if !strings.Contains(out, want) {
		t.Fatalf("summary: want %q in\n%s", want, out)
	}

	// The same as JSON, limited to the world.
	code, out, _ = runCLI(t, "audit", "replay", "--data-dir", dir, "--world", examples.World, "--format", "json")
	var rep auditReplayReport
	if err := json.Unmarshal([]byte(out), &rep); code != exitOK || err != nil {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	if rep.Checked != n || rep.Matching != n || rep.Differing != 0 || rep.World != examples.World || len(rep.Runs) != 0 {
		t.Fatalf("json report %+v", rep)
	}

	st := openForAppend(t, dir)
	forged := forgeRun(t, st, examples.World, "grid-overfit", "bt-1", "bt-forged", "pass")
	pending, _ := events.RunStream(examples.World, "trend-robust", "never-evaluated")
	ev, err := events.Catalogue().New(events.EvaluationRunSubmitted{
		WorldID: examples.World, StrategyID: "trend-robust", RunID: "never-evaluated", Stage: "backtest", RiskTier: "unknown",
		Metrics: json.RawMessage(`{"returns":{"sharpe":1}}`), RequestHash: "x",
	}, events.Meta{IdempotencyKey: "pending", OccurredAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(t.Context(), pending, eventstore.NoStream{}, ev); err != nil {
		t.Fatal(err)
	}
	// A second verdict after a matching one: the evaluator never writes
	// that, so the run now differs (once, however many such events).
	short, _ := events.RunStream(examples.World, "news-short", "bt-1")
	recs, err := st.ReadStream(t.Context(), short, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	for i := range 2 {
		again, err := events.Catalogue().New(events.EvaluationCompleted{Status: "pass", RecommendedStage: "backtest_only"},
			events.Meta{IdempotencyKey: "again-" + strconv.Itoa(i), OccurredAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Append(t.Context(), short, eventstore.Exact(last.StreamVersion+uint64(i)), again); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	code, out, stderr = runCLI(t, "audit", "replay", "--data-dir", dir)
	if code != exitFailure {
		t.Fatalf("replay with a forged verdict: exit %d, want %d\n%s\n%s", code, exitFailure, out, stderr)
	}
	if !strings.Contains(out, "DIFFERS "+examples.World+"/grid-overfit/bt-forged (stream "+forged) ||
		!strings.Contains(out, "status: stored pass, replayed fail") {
		t.Fatalf("the forged run and its status are not named:\n%s", out)
	}
	if !strings.Contains(out, "DIFFERS "+examples.World+"/news-short/bt-1") ||
		strings.Count(out, "history: stored EvaluationCompleted at version") != 2 {
		t.Fatalf("the run with a second verdict is not named once with both events:\n%s", out)
	}
	if strings.Count(out, "DIFFERS") != 2 {
		t.Fatalf("more than the two altered runs differ:\n%s", out)
	}
	want = "audit replay: " + strconv.Itoa(n+1) + " runs checked, " + strconv.Itoa(n-1) + " matching, 2 differing; 1 skipped: 1 not evaluated"
	if !strings.Contains(out, want) {
		t.Fatalf("summary: want %q in\n%s", want, out)
	}
	if !strings.Contains(stderr, "2 of "+strconv.Itoa(n+1)+" replayed runs differ") {
		t.Fatalf("stderr %q", stderr)
	}
}

// TestAuditExportVerify exports a world the real service wrote, verifies
// the export offline, and then finds one flipped byte.
func TestAuditExportVerify(t *testing.T) {
	t.Parallel()
	dir := evaluatedStore(t)
	file := filepath.Join(t.TempDir(), "demo.jsonl")
	code, out, stderr := runCLI(t, "audit", "export", "--data-dir", dir, "--world", examples.World, "--out", file)
	if code != exitOK {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "sha256 ") {
		t.Fatalf("export summary has no digest:\n%s", out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")

	// The file is the world's streams, whole, in global order: compare it
	// with the store.
	st := openForAppend(t, dir)
	all, err := st.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	strategies := map[string]bool{}
	for _, s := range examples.Strategies() {
		strategies[s.StrategyID] = true
	}
	var want []events.Record
	for _, rec := range all {
		cat, ids, _ := events.ParseStream(rec.Stream)
		if ids[0] == examples.World && cat != events.CategoryModelCard || cat == events.CategoryModelCard && strategies[ids[0]] {
			want = append(want, rec)
		}
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d events", len(lines), len(want))
	}
	categories := map[string]bool{}
	for i, line := range lines {
		rec, err := decodeExportLine([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		w := want[i]
		if rec.GlobalPosition != w.GlobalPosition || rec.Stream != w.Stream || rec.Hash != w.Hash || rec.PrevHash != w.PrevHash || !bytes.Equal(rec.Payload, w.Payload) {
			t.Fatalf("line %d is %s v%d, want %s v%d", i+1, rec.Stream, rec.StreamVersion, w.Stream, w.StreamVersion)
		}
		cat, _, _ := events.ParseStream(rec.Stream)
		categories[cat] = true
	}
	for _, cat := range []string{events.CategoryEvaluationRun, events.CategoryWorldPolicy, events.CategoryModelCard} {
		if !categories[cat] {
			t.Errorf("the export holds no %s stream", cat)
		}
	}

	code, out, stderr = runCLI(t, "audit", "verify", "--file", file)
	if code != exitOK || !strings.Contains(out, "hash chains: ok") {
		t.Fatalf("verify of the export: exit %d\n%s\n%s", code, out, stderr)
	}

	// One byte of one payload flipped (a letter of a key: still JSON).
	const victim = 3
	line := []byte(lines[victim-1])
	i := bytes.Index(line, []byte(`"payload":{"`)) + len(`"payload":{"`)
	if line[i] == 'x' {
		line[i] = 'y'
	} else {
		line[i] = 'x'
	}
	lines[victim-1] = string(line)
	broken := filepath.Join(t.TempDir(), "broken.jsonl")
	if err := os.WriteFile(broken, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCLI(t, "audit", "verify", "--file", broken)
	if code != exitFailure {
		t.Fatalf("verify of a flipped byte: exit %d\n%s\n%s", code, out, stderr)
	}
	rec := want[victim-1]
	if !strings.Contains(out, "line "+strconv.Itoa(victim)+": stream \""+rec.Stream+"\" version "+strconv.Itoa(int(rec.StreamVersion))) || !strings.Contains(out, "content hash") {
		t.Fatalf("verify does not name line %d:\n%s", victim, out)
	}
	if !strings.Contains(stderr, "first at line "+strconv.Itoa(victim)) || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("stderr %q", stderr)
	}

	// An existing file is not replaced without --force.
	code, _, stderr = runCLI(t, "audit", "export", "--data-dir", dir, "--world", examples.World, "--out", file)
	if code != exitUsage || !strings.Contains(stderr, "--force") {
		t.Fatalf("export over an existing file: exit %d, %q", code, stderr)
	}
	if code, out, _ := runCLI(t, "audit", "export", "--data-dir", dir, "--world", examples.World, "--out", file, "--force"); code != exitOK {
		t.Fatalf("export --force: exit %d\n%s", code, out)
	}
}

// TestExportLinePayloads: payloads that cannot sit on one line unchanged
// (line breaks, surrounding white space) are carried in base64; HTML
// characters stay as stored. Each line reads back to a record whose chain
// verifies.
func TestExportLinePayloads(t *testing.T) {
	payloads := []string{`{"a":"<b>&</b>"}`, "{\n  \"a\": 1\n}", ` {"a":1}`, `{"a":"\u00e9 é"}`, `[1,2]`}
	verifier := events.NewChainVerifier()
	prev := events.GenesisHash
	for i, p := range payloads {
		rec := events.Record{
			Event: events.Event{ID: "00000000-0000-4000-8000-00000000000" + strconv.Itoa(i), Type: "X", SchemaVersion: 1,
				OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), Payload: json.RawMessage(p)},
			Stream: "world/w1", StreamVersion: uint64(i + 1), GlobalPosition: uint64(10 + i),
			RecordedAt: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC),
		}
		rec.Seal(prev)
		prev = rec.Hash
		line, err := encodeExportLine(nil, &rec)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
			t.Fatalf("payload %q: not one line: %q", p, line)
		}
		if raw := lineSafe([]byte(p)); raw != bytes.Contains(line, []byte(`"payload":`+p)) {
			t.Fatalf("payload %q: line %s", p, line)
		}
		back, err := decodeExportLine(bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			t.Fatal(err)
		}
		if string(back.Payload) != p {
			t.Fatalf("payload %q read back as %q", p, back.Payload)
		}
		if err := verifier.Verify(back); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditHistoryBadInput: each mistake exits 2 with one line naming it.
func TestAuditHistoryBadInput(t *testing.T) {
	dir, _ := seedStore(t, 1)
	missing := filepath.Join(t.TempDir(), "nope")
	file := filepath.Join(t.TempDir(), "x.jsonl")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "replay", "--data-dir", missing}, "no event store"},
		{[]string{"audit", "replay", "--data-dir", dir, "--format", "xml"}, `--format "xml"`},
		{[]string{"audit", "replay", "--data-dir", dir, "--world", "elsewhere"}, `no stream of world "elsewhere"`},
		{[]string{"audit", "replay", "--data-dir", dir, "extra"}, "unexpected argument"},
		{[]string{"audit", "export", "--data-dir", missing, "--world", "w1", "--out", file}, "no event store"},
		{[]string{"audit", "export", "--data-dir", dir, "--out", file}, "--world is required"},
		{[]string{"audit", "export", "--data-dir", dir, "--world", "w1"}, "--out is required"},
		{[]string{"audit", "export", "--data-dir", dir, "--world", "elsewhere", "--out", file}, `no stream of world "elsewhere"`},
		{[]string{"audit", "export", "--data-dir", dir, "--world", "w1", "--out", filepath.Join(missing, "x.jsonl")}, "--out"},
		{[]string{"audit", "verify", "--file", file}, "no export at"},
		{[]string{"audit", "verify", "--file", file, "--data-dir", dir}, "exclude each other"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line with %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s", file)
	}
	// A seeded store of submissions only: nothing to check, all skipped.
	code, out, _ := runCLI(t, "audit", "replay", "--data-dir", dir, "--world", "w1")
	if code != exitOK || !strings.Contains(out, "0 runs checked, 0 matching, 0 differing; 1 skipped: 1 not evaluated") {
		t.Fatalf("replay of an unevaluated store: exit %d\n%s", code, out)
	}
	// An empty file is no export.
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI(t, "audit", "verify", "--file", file); code != exitFailure || !strings.Contains(out, "no records") {
		t.Fatalf("verify of an empty file: exit %d\n%s", code, out)
	}
}

// TestOfflineCommandsReadWorldvalDataDir: WORLDVAL_DATA_DIR, which points
// serve at its store, is also where the offline commands look by default,
// and --data-dir still wins over it.
func TestOfflineCommandsReadWorldvalDataDir(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), processor.EventStorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WORLDVAL_DATA_DIR": dir}
	for _, args := range [][]string{{"audit", "verify"}, {"audit", "replay"}, {"projections", "rebuild", "all"}} {
		code, out, stderr := runCLIWith(t, env, args...)
		if code != 0 || !strings.Contains(out+stderr, dir) {
			t.Errorf("%v with WORLDVAL_DATA_DIR: exit %d, no mention of %s\n%s\n%s", args, code, dir, out, stderr)
		}
	}
	missing := filepath.Join(dir, "missing")
	code, _, stderr := runCLIWith(t, env, "audit", "verify", "--data-dir", missing)
	if code != exitUsage || !strings.Contains(stderr, missing) {
		t.Errorf("--data-dir over WORLDVAL_DATA_DIR: exit %d\n%s", code, stderr)
	}
}
