package processor

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/processor/kafkatest"
)

// Environment of the risk hub crash test's child process.
const (
	hubCrashEnvDir   = "WORLDVAL_HUB_CRASH_DIR"   // the data directory
	hubCrashEnvKafka = "WORLDVAL_HUB_CRASH_KAFKA" // the kafka block, JSON
	hubCrashEnvSlow  = "WORLDVAL_HUB_CRASH_SLOW"  // a delay per store append ("2ms"), or nothing
)

// Shape of the risk hub crash test's world: hubCrashRuns backtest runs of
// as many strategies, then hubCrashSnapshots snapshots, each a world-wide
// extended pass over every run.
const (
	hubCrashWorld     = "w"
	hubCrashRuns      = 40
	hubCrashSnapshots = 4
	// hubCrashBreach is the stress drawdown of the strategies a snapshot
	// breaches the crash limit with (0.25); the others have hubCrashCalm.
	hubCrashBreach = 0.3
	hubCrashCalm   = 0.1
)

// hubCrashPolicy has every snapshot-driven layer: cohort, portfolio and
// stress (handlers' extendedPolicy).
const hubCrashPolicy = `{
  "validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}},
  "default_profile_by_stage": {"backtest": "backtest"},
  "cohort": {"top_k": 2, "sharpe_median_min": 0.5},
  "portfolio": {"max_incremental_var_99": 0.005, "severity": "blocking"},
  "stress": {"scenarios": {"crash": {"dd_max": 0.25}}}
}`

// hubCrashExit is the exit block of the child's configuration: a VaR limit
// every snapshot breaches (its VaR99 is a few hundredths), an ES limit none does,
// and the crash scenario's drawdown limited to 0.25.
func hubCrashExit() ExitConfig {
	varMax, esMax := 0.001, 10.0
	return ExitConfig{VaR99Max: &varMax, ES99Max: &esMax, StressDDMax: []StressLimitConfig{{Scenario: "crash", Max: 0.25}}}
}

// TestRiskHubKafkaCrashChild is the child side of
// TestRiskHubKafkaSnapshotPassesSurviveSIGKILL; run directly (without its
// environment) it does nothing. It runs the whole service — Kafka ingress,
// evaluator, risk hub, extended validation, exit engine, outbox — until
// SIGTERM, or until the parent kills it. With hubCrashEnvSlow set, every
// append waits that long in the store's writer (a slow disk), so that a
// world-wide pass spans several group commits and the parent can see it
// half recorded.
func TestRiskHubKafkaCrashChild(t *testing.T) {
	dir := os.Getenv(hubCrashEnvDir)
	if dir == "" {
		return
	}
	var kc KafkaConfig
	if err := json.Unmarshal([]byte(os.Getenv(hubCrashEnvKafka)), &kc); err != nil {
		t.Fatal(err)
	}
	var opts []Option
	if d, _ := time.ParseDuration(os.Getenv(hubCrashEnvSlow)); d > 0 {
		// The clock is called once per append, from the writer goroutine.
		opts = append(opts, WithStoreOptions(sqlite.WithClock(func() time.Time {
			time.Sleep(d)
			return time.Now()
		})))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cfg := Config{DataDir: dir, HTTP: HTTPConfig{Addr: "127.0.0.1:0"}, Kafka: kc, Exit: hubCrashExit()}
	svc, err := New(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRiskHubKafkaSnapshotPassesSurviveSIGKILL is the risk hub end to end on
// the real broker. A policy with cohort, portfolio and stress layers and 40
// submissions go in through the Kafka ingress of a service running in a
// child process, with exit limits configured; once the runs are evaluated,
// risk snapshots are published to the risk-snapshots topic one at a time,
// and the child is killed with SIGKILL while the extended pass of one of
// them is half recorded in the store. The broker is restarted, the killed
// snapshot's record is produced again (the same CloudEvents id) and the
// first snapshot re-published under a new id, the remaining
// snapshots follow, and a second child runs on the same data directory
// until everything is handled.
//
// The store must then hold each snapshot once; for each snapshot, exactly
// one ExtendedValidationCompleted per run keyed by the snapshot's trigger,
// naming the snapshot and a recorded cohort; no cohort key twice; exactly
// the exit signals the limits imply, each once; and the exit-signals topic
// must carry each signal under a single CloudEvents id, with nothing
// dead-lettered.
func TestRiskHubKafkaSnapshotPassesSurviveSIGKILL(t *testing.T) {
	started := time.Now()
	broker, restart := privateBroker(t)
	kc := kafkaTopicsOn(t, broker, kafkatest.Name("hubcrash"), 4)

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfgJSON, err := json.Marshal(kc)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "children.log")
	childLog := func() string {
		b, _ := os.ReadFile(logPath)
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		return string(b)
	}
	child := func(slow string) *hubChild {
		t.Helper()
		logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { logf.Close() })
		cmd := exec.Command(os.Args[0], "-test.run=^TestRiskHubKafkaCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), hubCrashEnvDir+"="+data, hubCrashEnvKafka+"="+string(cfgJSON), hubCrashEnvSlow+"="+slow)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c := &hubChild{cmd: cmd, done: make(chan struct{})}
		go func() {
			c.err = cmd.Wait()
			close(c.done)
		}()
		t.Cleanup(func() {
			_ = cmd.Process.Kill() // a no-op once it has ended
			<-c.done
		})
		return c
	}
	// stop signals the child and waits for it to end.
	stop := func(c *hubChild, sig syscall.Signal) error {
		t.Helper()
		if err := c.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-c.done:
			return c.err
		case <-time.After(time.Minute):
			t.Fatalf("the child did not end within a minute of %v\n%s", sig, childLog())
			return nil
		}
	}

	watch := &hubWatch{path: EventStorePath(data)}
	defer watch.close()
	// waitFor polls the store until done holds; every poll that reads
	// something new extends the deadline, so a loaded machine is waited
	// for as long as the child makes progress.
	waitFor := func(c *hubChild, what string, every time.Duration, done func() bool) {
		t.Helper()
		idle := 60 * time.Second
		deadline := time.Now().Add(idle)
		for !done() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no progress for %s (%s; last store error: %v)\n%s", what, idle, watch, watch.err, childLog())
			}
			select {
			case <-c.done:
				t.Fatalf("%s: the child exited: %v\n%s", what, c.err, childLog())
			default:
			}
			time.Sleep(every)
			if watch.poll() {
				deadline = time.Now().Add(idle)
			}
		}
	}

	// First child, on a slow disk: the runs get evaluated, then snapshots
	// arrive one at a time until one is caught half-way through its pass.
	// The policy goes first, and the runs only once it is recorded: the
	// ingress consumes the two topics concurrently, and a run submitted
	// before its world has a policy fails closed, to be re-validated by the
	// policy's own world-wide pass.
	first := child("2ms")
	kafkatest.Produce(t, broker, []kafkatest.Record{command(t, kc.Topics.Policies, cloudevents.TypePublishPolicy, "risk-team/w/policy-1", hubCrashWorld, rawJSON(hubCrashPolicy))})
	waitFor(first, "publishing the policy", 20*time.Millisecond, func() bool { return watch.policies == 1 })
	var runs []kafkatest.Record
	for i := range hubCrashRuns {
		runs = append(runs, command(t, kc.Topics.Submissions, cloudevents.TypeSubmitEvaluationRun,
			fmt.Sprintf("runner/w/%s/r1", hubCrashStrategy(i)), hubCrashWorld, hubCrashSubmission(i)))
	}
	kafkatest.Produce(t, broker, runs)
	waitFor(first, "evaluating the runs", 20*time.Millisecond, func() bool { return watch.completed == hubCrashRuns })
	base := time.Now().UTC().Truncate(time.Second)
	snapshots := make([]kafkatest.Record, hubCrashSnapshots)
	for k := range snapshots {
		snapshots[k] = command(t, kc.Topics.RiskSnapshots, cloudevents.TypeRiskSnapshotUpdated,
			fmt.Sprintf("risk-engine/w/v%d", k+1), hubCrashWorld, hubCrashSnapshot(k, base))
	}
	killedIn, killedAt := -1, 0
	for k := 0; k < hubCrashSnapshots-1 && killedIn < 0; k++ {
		kafkatest.Produce(t, broker, snapshots[k:k+1])
		version := fmt.Sprintf("v%d", k+1)
		caught := false
		waitFor(first, "the pass of snapshot "+version, 2*time.Millisecond, func() bool {
			n := watch.passes[watch.snapshots[version]]
			caught = n > 0 && n < hubCrashRuns
			return caught || n == hubCrashRuns
		})
		if !caught {
			t.Logf("snapshot %s: its pass was recorded between two looks; trying the next one", version)
			continue
		}
		if err := stop(first, syscall.SIGKILL); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("child ended with %v, want killed\n%s", err, childLog())
		}
		watch.poll()
		if n := watch.passes[watch.snapshots[version]]; n < hubCrashRuns {
			killedIn, killedAt = k, n
			break
		}
		// The pass ended between the look and the kill: go on with a new
		// child.
		t.Logf("snapshot %s: the pass ended before the kill landed; trying the next one", version)
		first = child("2ms")
	}
	if killedIn < 0 {
		t.Fatalf("no snapshot's pass was caught half recorded in %d tries; the test proves nothing", hubCrashSnapshots-1)
	}
	t.Logf("killed in the pass of snapshot v%d with %d of %d results recorded (%s)", killedIn+1, killedAt, hubCrashRuns, time.Since(started).Round(time.Millisecond))

	// Deliver the killed snapshot again (its record may come back anyway:
	// its offset need not be committed), re-publish the first under a new
	// id, and queue the snapshots not published yet behind them — one
	// partition (the world key), so that the last snapshot recorded means
	// the duplicates were handled. Then restart the broker and run a
	// second child to the end.
	again := []kafkatest.Record{snapshots[killedIn], snapshots[0]}
	again[1].Value = hubCrashRepublish(t, snapshots[0].Value, "risk-engine/w/v1/republished")
	again = append(again, snapshots[killedIn+1:]...)
	kafkatest.Produce(t, broker, again)
	restart()
	second := child("")
	waitFor(second, "handling everything after the restart", 20*time.Millisecond, func() bool {
		if len(watch.snapshots) < hubCrashSnapshots || watch.signals < hubCrashSnapshots*(1+hubCrashRuns/4) {
			return false
		}
		for _, trig := range watch.snapshots {
			if watch.passes[trig] < hubCrashRuns {
				return false
			}
		}
		return watch.handled(handlers.ExtendedName, handlers.ExitName)
	})

	// The exit signals reach their topic, each key under one id.
	ids := map[string]string{}
	want := hubCrashWantSignals(watch.hashes)
	got := waitForRecords(t, broker, kc.Topics.ExitSignals, 2*time.Minute, func(ms []*sarama.ConsumerMessage) bool {
		m := ms[len(ms)-1]
		ev, err := cloudevents.Parse(m.Value)
		if err != nil {
			t.Fatalf("exit signal record %d/%d is not a CloudEvent: %v", m.Partition, m.Offset, err)
		}
		var d struct {
			Key string `json:"idempotency_key"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		if id, ok := ids[d.Key]; ok && id != ev.ID {
			t.Fatalf("exit signal %s published under two ids, %s and %s", d.Key, id, ev.ID)
		}
		ids[d.Key] = ev.ID
		return len(ids) >= len(want)
	})
	if !maps.Equal(keySet(ids), want) {
		t.Fatalf("exit-signals topic: %d keys %v, want %d %v", len(ids), sortedKeys(ids), len(want), sortedKeys(want))
	}

	if err := stop(second, syscall.SIGTERM); err != nil {
		t.Fatalf("second child: %v\n%s", err, childLog())
	}
	watch.close()
	hubCrashCheckStore(t, data)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if dead := kafkatest.Consume(ctx, t, broker, kc.Topics.DLQ, func(*sarama.ConsumerMessage) bool { return true }); len(dead) > 0 {
		t.Fatalf("%d records dead-lettered, first: %v", len(dead), dead[0].Headers)
	}
	t.Logf("%d snapshots × %d runs, %d exit signal records; %s in all", hubCrashSnapshots, hubCrashRuns, len(got), time.Since(started).Round(time.Millisecond))
}

// hubCrashStrategy names strategy i.
func hubCrashStrategy(i int) string { return fmt.Sprintf("s%02d", i) }

// hubCrashSubmission is the submission of strategy i's run r1: 60 daily
// returns with a positive mean that differs between strategies.
func hubCrashSubmission(i int) map[string]any {
	returns := make([]float64, 60)
	for j := range returns {
		returns[j] = 0.0004*float64(1+i%9) + 0.01*float64((j*7+i*3)%11-5)/5
	}
	return map[string]any{
		"world_id": hubCrashWorld, "strategy_id": hubCrashStrategy(i), "run_id": "r1", "stage": "backtest", "returns": returns,
	}
}

// hubCrashBreaches reports whether snapshot k (from 0) breaches the crash
// limit with strategy i: a quarter of the strategies, a different quarter
// for each snapshot.
func hubCrashBreaches(k, i int) bool { return i%4 == k%4 }

// hubCrashSnapshot is the data of snapshot k (from 0), version v{k+1}: equal
// weights, a covariance banded with correlation 0.5 (over the inline
// threshold, so it goes to the blob store), per-strategy crash drawdowns,
// live provenance, and an as_of one second after the previous snapshot's so
// that each is the latest when its pass runs.
func hubCrashSnapshot(k int, base time.Time) map[string]any {
	weights, cov, stress := map[string]float64{}, map[string]float64{}, map[string]any{}
	sigma := func(i int) float64 { return 0.01 * float64(1+i%5) }
	for i := range hubCrashRuns {
		s := hubCrashStrategy(i)
		weights[s] = 1.0 / hubCrashRuns
		cov[s+","+s] = sigma(i) * sigma(i)
		for d := 1; d <= 2 && i+d < hubCrashRuns; d++ {
			cov[s+","+hubCrashStrategy(i+d)] = 0.5 * sigma(i) * sigma(i+d)
		}
		dd := hubCrashCalm
		if hubCrashBreaches(k, i) {
			dd = hubCrashBreach
		}
		stress[s] = map[string]any{"crash": map[string]any{"max_drawdown": dd}}
	}
	return map[string]any{
		"world_id": hubCrashWorld, "version": fmt.Sprintf("v%d", k+1),
		"as_of":      base.Add(time.Duration(k-hubCrashSnapshots) * time.Second).Format(time.RFC3339),
		"created_at": base.Format(time.RFC3339), "ttl_sec": 3600,
		"weights": weights, "covariance": cov, "stress": map[string]any{"strategies": stress},
		"provenance": map[string]any{"actor": "risk-engine", "stage": "live", "source": "risk-engine"},
	}
}

// hubCrashRepublish returns the CloudEvent value with another id: the same
// snapshot published again by a producer that lost track of its first
// send.
func hubCrashRepublish(t *testing.T, value []byte, id string) []byte {
	t.Helper()
	ev, err := cloudevents.Parse(value)
	if err != nil {
		t.Fatal(err)
	}
	ev.ID = id
	out, err := cloudevents.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hubCrashWantSignals returns the exit signal keys the limits imply for
// the snapshots (version → hash): for each, the world-wide VaR reduction
// and one stress reduction per breaching strategy; no ES signal.
func hubCrashWantSignals(hashes map[string]string) map[string]bool {
	want := map[string]bool{}
	for k := range hubCrashSnapshots {
		h, ok := hashes[fmt.Sprintf("v%d", k+1)]
		if !ok {
			continue
		}
		want[events.ExitSignalKey(hubCrashWorld, "*", h, "var_limit")] = true
		for i := range hubCrashRuns {
			if hubCrashBreaches(k, i) {
				want[events.ExitSignalKey(hubCrashWorld, hubCrashStrategy(i), h, "stress_dd")] = true
			}
		}
	}
	return want
}

// hubCrashCheckStore opens the store of dir (no child running) and checks
// what the crash and the re-deliveries must not have changed.
func hubCrashCheckStore(t *testing.T, dir string) {
	t.Helper()
	store, err := sqlite.Open(t.Context(), EventStorePath(dir), sqlite.WithRegistry(events.Catalogue()))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	recs, err := store.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[string]string{}          // version → hash
	recorded := map[string]int{}           // RiskSnapshotRecorded key → count
	results := map[string]map[string]int{} // trigger key → run stream → results
	cohorts, cohortIDs := map[string]int{}, map[string]bool{}
	named := map[string]string{} // cohort event id named by a result → the result's key
	signals := map[string]int{}
	submitted, completed := map[string]int{}, map[string]int{}
	for i := range recs {
		r := &recs[i]
		switch r.Type {
		case events.TypeEvaluationRunSubmitted:
			submitted[r.Stream]++
		case events.TypeEvaluationCompleted:
			completed[r.Stream]++
		case events.TypeRiskSnapshotRecorded:
			var p events.RiskSnapshotRecorded
			if err := json.Unmarshal(r.Payload, &p); err != nil {
				t.Fatal(err)
			}
			recorded[r.IdempotencyKey]++
			if h, ok := hashes[p.Version]; ok && h != p.Hash {
				t.Fatalf("snapshot %s recorded with hashes %s and %s", p.Version, h, p.Hash)
			}
			hashes[p.Version] = p.Hash
		case events.TypeExtendedValidationCompleted:
			var p events.ExtendedValidationCompleted
			if err := json.Unmarshal(r.Payload, &p); err != nil {
				t.Fatal(err)
			}
			var trig events.Trigger
			if err := json.Unmarshal(p.Trigger, &trig); err != nil {
				t.Fatalf("%s: trigger %s: %v", r.Stream, p.Trigger, err)
			}
			_, ids, _ := events.ParseStream(r.Stream)
			if len(ids) != 3 || r.IdempotencyKey != evaluationrun.ExtendedKey(ids[0], ids[1], ids[2], trig.IdempotencyKey) {
				t.Fatalf("%s: result keyed %q for trigger %q", r.Stream, r.IdempotencyKey, trig.IdempotencyKey)
			}
			if results[trig.IdempotencyKey] == nil {
				results[trig.IdempotencyKey] = map[string]int{}
			}
			results[trig.IdempotencyKey][r.Stream]++
			if strings.HasPrefix(trig.IdempotencyKey, "risk_snapshot_updated:") {
				var ref events.SnapshotRef
				_ = json.Unmarshal(p.Snapshot, &ref)
				if want := "risk_snapshot_updated:" + hubCrashWorld + ":" + ref.Hash + ":1"; want != trig.IdempotencyKey {
					t.Fatalf("%s: the pass of %s used snapshot %s %s", r.Stream, trig.IdempotencyKey, ref.Version, ref.Hash)
				}
			}
			var cc struct {
				Cohort struct {
					EventID string `json:"event_id"`
				} `json:"cohort"`
			}
			_ = json.Unmarshal(p.CohortContext, &cc)
			named[cc.Cohort.EventID] = r.IdempotencyKey
		case events.TypeCohortEvaluated:
			cohorts[r.IdempotencyKey]++
			cohortIDs[r.ID] = true
		case events.TypeExitSignalEmitted:
			signals[r.IdempotencyKey]++
		}
	}

	// Each snapshot once, although its record came (at least) twice.
	if len(hashes) != hubCrashSnapshots || len(recorded) != hubCrashSnapshots {
		t.Fatalf("%d snapshot versions, %d snapshot keys recorded; want %d", len(hashes), len(recorded), hubCrashSnapshots)
	}
	for key, n := range recorded {
		if n != 1 {
			t.Fatalf("snapshot %s recorded %d times", key, n)
		}
	}
	// Each run submitted and evaluated once, with one result for its own
	// trigger and one for each snapshot's, and nothing else.
	if len(submitted) != hubCrashRuns || len(completed) != hubCrashRuns {
		t.Fatalf("%d runs submitted, %d completed; want %d", len(submitted), len(completed), hubCrashRuns)
	}
	wantTriggers := map[string]bool{}
	for i := range hubCrashRuns {
		wantTriggers[fmt.Sprintf("evaluation_run_created:%s:%s:r1:1", hubCrashWorld, hubCrashStrategy(i))] = true
	}
	snapshotTriggers := map[string]bool{}
	for _, h := range hashes {
		trig := "risk_snapshot_updated:" + hubCrashWorld + ":" + h + ":1"
		wantTriggers[trig], snapshotTriggers[trig] = true, true
	}
	for trig, runs := range results {
		if !wantTriggers[trig] {
			t.Fatalf("results for an unexpected trigger %s: %v", trig, runs)
		}
	}
	for stream, n := range submitted {
		if n != 1 || completed[stream] != 1 {
			t.Fatalf("%s: %d submissions and %d completions, want 1 each", stream, n, completed[stream])
		}
		_, ids, _ := events.ParseStream(stream)
		own := fmt.Sprintf("evaluation_run_created:%s:%s:r1:1", ids[0], ids[1])
		if n := results[own][stream]; n != 1 {
			t.Fatalf("%s: %d results for its own trigger, want 1", stream, n)
		}
		for trig := range snapshotTriggers {
			if n := results[trig][stream]; n != 1 {
				t.Fatalf("%s: %d results for %s, want exactly 1", stream, n, trig)
			}
		}
	}
	for trig := range snapshotTriggers {
		if n := len(results[trig]); n != hubCrashRuns {
			t.Fatalf("%s: results on %d runs, want %d", trig, n, hubCrashRuns)
		}
	}
	// No cohort twice; each snapshot one cohort of its own; each result
	// names a recorded cohort.
	for key, n := range cohorts {
		if n != 1 {
			t.Fatalf("cohort %s recorded %d times", key, n)
		}
	}
	for trig := range snapshotTriggers {
		key := "cohort_evaluated:" + hubCrashWorld + ":stage:backtest:" + trig
		if cohorts[key] != 1 {
			t.Fatalf("no cohort %s among %v", key, sortedKeys(cohorts))
		}
	}
	for id, result := range named {
		if !cohortIDs[id] {
			t.Fatalf("result %s names cohort %q, which is not recorded", result, id)
		}
	}
	// Exactly the exit signals the limits imply, each once.
	want := hubCrashWantSignals(hashes)
	for key, n := range signals {
		if n != 1 {
			t.Fatalf("exit signal %s recorded %d times", key, n)
		}
	}
	if !maps.Equal(keySet(signals), want) {
		t.Fatalf("exit signals %v, want %v", sortedKeys(signals), sortedKeys(want))
	}
}

// hubChild is a running child process; done is closed once it has ended,
// with err what Wait returned.
type hubChild struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// keySet returns the keys of m as a set.
func keySet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// hubWatch follows a running child's store from the outside, through a
// read-only connection of its own, and counts what the test waits for.
type hubWatch struct {
	path string
	db   *sql.DB
	err  error // the last failure to read, for the test's message

	after     int64             // the last position read
	policies  int               // PolicyPublished
	completed int               // EvaluationCompleted
	snapshots map[string]string // version → trigger key (risk_snapshot_updated:{w}:{hash}:1)
	hashes    map[string]string // version → hash
	passes    map[string]int    // trigger key → ExtendedValidationCompleted
	signals   int               // ExitSignalEmitted
}

// String summarizes what the watch has seen.
func (w *hubWatch) String() string {
	return fmt.Sprintf("position %d: %d policies, %d runs evaluated, %d snapshots, passes %v, %d exit signals", w.after, w.policies, w.completed, len(w.snapshots), w.passes, w.signals)
}

// poll reads the events appended since the last poll and reports whether
// there were any. The file may not exist yet, or be mid-migration: that
// is no progress, not a failure.
func (w *hubWatch) poll() bool {
	if w.db == nil {
		if _, err := os.Stat(w.path); err != nil {
			w.err = err
			return false
		}
		db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: filepath.ToSlash(w.path)}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)")
		if err != nil {
			w.err = err
			return false
		}
		db.SetMaxOpenConns(1)
		w.db = db
		w.snapshots, w.hashes, w.passes = map[string]string{}, map[string]string{}, map[string]int{}
	}
	rows, err := w.db.Query(`SELECT position, type, idempotency_key, payload FROM events WHERE position > ? ORDER BY position LIMIT 5000`, w.after)
	if err != nil {
		w.err = err
		return false
	}
	defer rows.Close()
	progress := false
	for rows.Next() {
		var (
			pos      int64
			typ, key string
			payload  []byte
		)
		if err := rows.Scan(&pos, &typ, &key, &payload); err != nil {
			w.err = err
			return progress
		}
		w.after, progress = pos, true
		switch typ {
		case events.TypePolicyPublished:
			w.policies++
		case events.TypeEvaluationCompleted:
			w.completed++
		case events.TypeRiskSnapshotRecorded:
			var p struct{ Version, Hash string }
			if err := json.Unmarshal(payload, &p); err != nil {
				w.err = err
				continue
			}
			w.hashes[p.Version] = p.Hash
			w.snapshots[p.Version] = "risk_snapshot_updated:" + hubCrashWorld + ":" + p.Hash + ":1"
		case events.TypeExtendedValidationCompleted:
			// extended:{w}:{s}:{r}:{trigger key}
			if parts := strings.SplitN(key, ":", 5); len(parts) == 5 {
				w.passes[parts[4]]++
			}
		case events.TypeExitSignalEmitted:
			w.signals++
		}
	}
	if err := rows.Err(); err != nil {
		w.err = err
	}
	return progress
}

// handled reports whether the named workers' checkpoints are at the head
// of the store.
func (w *hubWatch) handled(names ...string) bool {
	if w.db == nil {
		return false
	}
	var head int64
	if err := w.db.QueryRow(`SELECT COALESCE(MAX(position), 0) FROM events`).Scan(&head); err != nil {
		w.err = err
		return false
	}
	for _, n := range names {
		var cp int64
		err := w.db.QueryRow(`SELECT position FROM checkpoints WHERE name = ?`, n).Scan(&cp)
		if err != nil {
			if !errors.Is(err, sql.ErrNoRows) {
				w.err = err
			}
			return false
		}
		if cp != head {
			return false
		}
	}
	return true
}

// close closes the read-only connection.
func (w *hubWatch) close() {
	if w.db != nil {
		_ = w.db.Close()
		w.db = nil
	}
}
