package processor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/processor"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/extended"
)

// Environment of the extended-validation crash test's child process.
const (
	extCrashEnvDB  = "WORLDVAL_EXT_CRASH_DB"  // the store file
	extCrashEnvLog = "WORLDVAL_EXT_CRASH_LOG" // one line per ExtendedValidationCompleted appended
)

// Shape of the crash test's world: extCrashRuns backtest runs, then
// extCrashSnapshots risk snapshots, each a world-wide pass over every run.
const (
	extCrashRuns      = 40
	extCrashSnapshots = 2
)

var extCrashNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const extCrashPolicy = `{
  "validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}},
  "default_profile_by_stage": {"backtest": "backtest"},
  "cohort": {"top_k": 10},
  "portfolio": {"max_incremental_var_99": 0.01, "severity": "blocking"}
}`

// loggingStore slows every append of an ExtendedValidationCompleted down and
// logs it, fsynced, once it is stored, so that the parent can kill the
// child in the middle of a pass.
type loggingStore struct {
	*sqlite.Store
	mu  sync.Mutex
	log *os.File
}

func (s *loggingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, evs ...events.Event) (eventstore.AppendResult, error) {
	if len(evs) == 0 || evs[0].Type != events.TypeExtendedValidationCompleted || s.log == nil {
		return s.Store.Append(ctx, stream, expected, evs...)
	}
	time.Sleep(3 * time.Millisecond)
	res, err := s.Store.Append(ctx, stream, expected, evs...)
	if err == nil && !res.Duplicate {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, err := fmt.Fprintln(s.log, evs[0].IdempotencyKey); err != nil {
			return res, err
		}
		if err := s.log.Sync(); err != nil {
			return res, err
		}
	}
	return res, err
}

// extCrashRunners builds the extended validation handler and the exit
// engine over store, as the service runs them (each a checkpointed runner),
// their appends going through as.
func extCrashRunners(t *testing.T, store *sqlite.Store, as eventstore.Store) []*processor.Runner {
	t.Helper()
	reg := events.Catalogue()
	repo, err := aggregates.NewRepository(as, reg)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), reg)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := runs.ApplyBatch(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return extCrashNow }
	x, err := handlers.NewExtendedValidator(repo, handlers.RunViewSource{Runs: runs}, handlers.ExtendedConfig{Parallelism: 4}, handlers.WithExtendedClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	varMax := 0.0001
	e, err := handlers.NewExitEngine(repo, handlers.ExitConfig{Rules: extended.ExitRules{VaR99Max: &varMax}}, handlers.WithExitClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	var out []*processor.Runner
	for _, w := range []processor.Worker{x, e} {
		// As the service runs them: a worker that takes batches gets them.
		var r *processor.Runner
		if bw, ok := w.(processor.BatchWorker); ok {
			r, err = processor.NewBatchRunner(store, store, bw.HandleBatch, processor.RunnerConfig{Name: w.Name()})
		} else {
			r, err = processor.NewRunner(store, store, w.Handle, processor.RunnerConfig{Name: w.Name()})
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestExtendedCrashChild is the child side of TestExtendedCrashAndRestart;
// run directly (without its environment) it does nothing. It runs the
// workers until it is killed.
func TestExtendedCrashChild(t *testing.T) {
	dbPath := os.Getenv(extCrashEnvDB)
	if dbPath == "" {
		return
	}
	store, err := sqlite.Open(context.Background(), dbPath, sqlite.WithRegistry(events.Catalogue()))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	log, err := os.OpenFile(os.Getenv(extCrashEnvLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	var wg sync.WaitGroup
	for _, r := range extCrashRunners(t, store, &loggingStore{Store: store, log: log}) {
		wg.Go(func() {
			if err := r.Run(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// TestExtendedCrashAndRestart seeds a world (policy, 40 evaluated runs, two
// risk snapshots), runs the extended validation handler and the exit engine
// in a child process, kills it with SIGKILL in the middle of the first
// snapshot's pass, restarts them from their checkpoints, and checks that
// every (run, trigger) got exactly one ExtendedValidationCompleted — none
// lost, none extra — each naming a recorded CohortEvaluated, every
// snapshot one cohort of its own and one exit signal, and no cohort key
// twice. The workers run as the service runs them, the extended handler on
// batches, so the runs' own triggers, waiting together, share cohorts.
func TestExtendedCrashAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs child processes")
	}
	dir := t.TempDir()
	dbPath, logPath := filepath.Join(dir, "events.db"), filepath.Join(dir, "extended.log")
	hashes := extCrashSeed(t, dbPath)

	child := exec.Command(os.Args[0], "-test.run=^TestExtendedCrashChild$", "-test.count=1")
	child.Env = append(os.Environ(), extCrashEnvDB+"="+dbPath, extCrashEnvLog+"="+logPath)
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// The first 40 lines are the runs' own passes; kill half-way through
	// the first snapshot's.
	deadline := time.Now().Add(60 * time.Second)
	for len(handledLines(t, logPath)) < extCrashRuns+extCrashRuns/2 {
		if time.Now().After(deadline) {
			_ = child.Process.Kill()
			t.Fatal("child made no progress")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child ended with %v, want killed", err)
	}
	killedAt := len(handledLines(t, logPath))
	if killedAt >= extCrashRuns*(1+extCrashSnapshots) {
		t.Fatalf("the child recorded everything (%d) before the kill; the test proves nothing", killedAt)
	}

	// Restart: the same workers from their checkpoints, until both have
	// handled everything there is.
	store, err := sqlite.Open(context.Background(), dbPath, sqlite.WithRegistry(events.Catalogue()))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, r := range extCrashRunners(t, store, store) {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	waitHandled(t, store, handlers.ExtendedName, handlers.ExitName)
	cancel()
	wg.Wait()

	recs, err := store.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	perRun := map[string][]string{}
	cohorts, signals := map[string]int{}, map[string]int{}
	cohortIDs, named := map[string]bool{}, map[string]bool{}
	for i := range recs {
		r := &recs[i]
		switch r.Type {
		case events.TypeExtendedValidationCompleted:
			var p events.ExtendedValidationCompleted
			if err := json.Unmarshal(r.Payload, &p); err != nil {
				t.Fatal(err)
			}
			var trig events.Trigger
			_ = json.Unmarshal(p.Trigger, &trig)
			perRun[r.Stream] = append(perRun[r.Stream], trig.IdempotencyKey)
			var cc struct {
				Cohort struct {
					EventID string `json:"event_id"`
				} `json:"cohort"`
			}
			_ = json.Unmarshal(p.CohortContext, &cc)
			named[cc.Cohort.EventID] = true
		case events.TypeCohortEvaluated:
			cohorts[r.IdempotencyKey]++
			cohortIDs[r.ID] = true
		case events.TypeExitSignalEmitted:
			signals[r.IdempotencyKey]++
		}
	}
	if len(perRun) != extCrashRuns {
		t.Fatalf("%d runs have extended results, want %d", len(perRun), extCrashRuns)
	}
	for stream, keys := range perRun {
		_, ids, _ := events.ParseStream(stream)
		want := []string{fmt.Sprintf("evaluation_run_created:w:%s:r1:1", ids[1])}
		for _, h := range hashes {
			want = append(want, "risk_snapshot_updated:w:"+h+":1")
		}
		if strings.Join(keys, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: passes %v, want exactly %v", stream, keys, want)
		}
	}
	snapshotCohorts := 0
	for key, n := range cohorts {
		if n != 1 {
			t.Fatalf("cohort %s recorded %d times", key, n)
		}
		if strings.Contains(key, ":risk_snapshot_updated:") {
			snapshotCohorts++
		}
	}
	if snapshotCohorts != extCrashSnapshots || len(cohorts) > extCrashRuns+extCrashSnapshots {
		t.Fatalf("%d cohort evaluations, %d of them for snapshots; want one per snapshot and at most one per trigger (%d)", len(cohorts), snapshotCohorts, extCrashRuns+extCrashSnapshots)
	}
	for id := range named {
		if !cohortIDs[id] {
			t.Fatalf("an extended result names cohort %q, which is not recorded", id)
		}
	}
	if len(signals) != extCrashSnapshots {
		t.Fatalf("%d exit signals (%v), want one per snapshot", len(signals), signals)
	}
	for key, n := range signals {
		if n != 1 || !strings.HasPrefix(key, "exit_signal:w:*:") || !strings.HasSuffix(key, ":var_limit") {
			t.Fatalf("exit signal %s recorded %d times", key, n)
		}
	}
	t.Logf("killed after %d of %d extended results; the restart recorded the rest once", killedAt, extCrashRuns*(1+extCrashSnapshots))
}

// extCrashSeed writes the crash test's world into a new store file and
// returns the snapshots' hashes in order.
func extCrashSeed(t *testing.T, path string) []string {
	t.Helper()
	ctx := context.Background()
	reg := events.Catalogue()
	store, err := sqlite.Open(ctx, path, sqlite.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	repo, err := aggregates.NewRepository(store, reg)
	if err != nil {
		t.Fatal(err)
	}
	pstream, _ := events.PolicyStream("w")
	if _, err := aggregates.Update(ctx, repo, pstream, func(p *worldpolicy.Policy) ([]events.Event, error) {
		return p.Publish(reg, worldpolicy.Publish{Meta: events.Meta{IdempotencyKey: "pub", OccurredAt: extCrashNow}, WorldID: "w", Policy: []byte(extCrashPolicy)})
	}); err != nil {
		t.Fatal(err)
	}
	eval, err := handlers.NewEvaluator(repo, handlers.WithClock(func() time.Time { return extCrashNow }))
	if err != nil {
		t.Fatal(err)
	}
	weights, cov := map[string]float64{}, map[string]float64{}
	for i := range extCrashRuns {
		s := fmt.Sprintf("s%02d", i)
		weights[s] = 1.0 / extCrashRuns
		cov[s+","+s] = 1e-4 * float64(1+i%5)
		req := events.EvaluationRunSubmitted{WorldID: "w", StrategyID: s, RunID: "r1", Stage: "backtest", RiskTier: "unknown",
			Metrics: json.RawMessage(fmt.Sprintf(`{"returns": {"sharpe": %.2f, "max_drawdown": -0.05}}`, 0.5+0.01*float64(i)))}
		stream, _ := events.RunStream("w", s, "r1")
		if _, err := aggregates.Update(ctx, repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
			return r.Submit(reg, evaluationrun.Submit{Meta: events.Meta{IdempotencyKey: "sub:" + stream, OccurredAt: extCrashNow}, Request: req})
		}); err != nil {
			t.Fatal(err)
		}
		sub, err := store.ReadStream(ctx, stream, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := eval.Handle(ctx, sub[0]); err != nil {
			t.Fatal(err)
		}
	}
	var hashes []string
	for i := range extCrashSnapshots {
		version := fmt.Sprintf("v%d", i+1)
		created := extCrashNow.Add(-time.Minute)
		p := events.RiskSnapshotRecorded{
			WorldID: "w", Version: version, AsOf: created.Format(time.RFC3339), AsOfInstant: events.FormatTime(created.Add(time.Duration(i) * time.Second)),
			Hash: "sha256:crash-" + version, CreatedAt: created.Format(time.RFC3339), TTLSec: 86400, ExpiresAt: created.Add(24 * time.Hour).Format(time.RFC3339),
			Weights: weights, Covariance: cov, Provenance: json.RawMessage(`{"actor":"risk-engine","stage":"live"}`), Ingress: events.IngressHTTP,
		}
		ev, err := reg.New(p, events.Meta{IdempotencyKey: events.RiskSnapshotKey("w", version, p.Hash), OccurredAt: created})
		if err != nil {
			t.Fatal(err)
		}
		stream, _ := events.RiskSnapshotStream("w")
		if _, err := store.Append(ctx, stream, eventstore.Any{}, ev); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, p.Hash)
	}
	return hashes
}

// waitHandled waits until every named checkpoint has reached the store's
// head and the head has stopped moving.
func waitHandled(t *testing.T, store *sqlite.Store, names ...string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(120 * time.Second)
	stable := 0
	var last uint64
	for stable < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the workers did not catch up")
		}
		time.Sleep(20 * time.Millisecond)
		head, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := true
		for _, n := range names {
			cp, err := store.Checkpoint(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			done = done && cp == head
		}
		switch {
		case done && head == last:
			stable++
		default:
			stable = 0
		}
		last = head
	}
}
