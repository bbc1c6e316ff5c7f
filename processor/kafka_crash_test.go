package processor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/processor/kafkatest"
)

// Environment of the Kafka crash test's child process.
const (
	kafkaCrashEnvDir    = "WORLDVAL_KAFKA_CRASH_DIR"    // the data directory
	kafkaCrashEnvConfig = "WORLDVAL_KAFKA_CRASH_CONFIG" // the kafka block, JSON
)

// TestKafkaCrashChild is the child side of
// TestKafkaRedeliveryAfterCrashCreatesNoDuplicates; run directly (without
// its environment) it does nothing. It runs the service — ingress,
// evaluator, outbox — until SIGTERM, or until the parent kills it.
func TestKafkaCrashChild(t *testing.T) {
	dir := os.Getenv(kafkaCrashEnvDir)
	if dir == "" {
		return
	}
	var kc KafkaConfig
	if err := json.Unmarshal([]byte(os.Getenv(kafkaCrashEnvConfig)), &kc); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cfg := Config{DataDir: dir, HTTP: HTTPConfig{Addr: "127.0.0.1:0"}, Kafka: kc}
	svc, err := New(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// privateBroker starts a broker of its own for a test that restarts it, on
// a free pair of loopback ports, with scripts/kafka.sh; it is stopped and its
// data deleted when the test ends. It returns the address and a function
// that restarts the broker on the same data.
func privateBroker(t *testing.T) (string, func()) {
	t.Helper()
	kafkatest.Broker(t) // skip under -short, fail without the shared broker's setup
	port := freePortPair(t)
	script := filepath.Join("..", "scripts", "kafka.sh")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(script, append(args, strconv.Itoa(port))...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("scripts/kafka.sh %v %d: %v\n%s", args, port, err, out)
		}
	}
	run("start")
	t.Cleanup(func() { run("stop") })
	return "127.0.0.1:" + strconv.Itoa(port), func() { run("restart") }
}

// freePortPair finds a loopback port p with p+1 free as well (the broker
// and its controller).
func freePortPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+1))
		l.Close()
		if err == nil {
			l2.Close()
			return p
		}
	}
	t.Fatal("no free pair of loopback ports")
	return 0
}

// TestKafkaRedeliveryAfterCrashCreatesNoDuplicates runs the service in a
// child process over a broker of its own, kills the child with SIGKILL while
// it is consuming and evaluating, restarts the broker, and runs a second
// child to the end. Records whose offsets the first child had not committed
// are delivered again, and the outbox publishes again what it had not
// checkpointed; the store must still hold exactly one submission and one
// completion per run, and every announced run has a single CloudEvents id.
func TestKafkaRedeliveryAfterCrashCreatesNoDuplicates(t *testing.T) {
	const worlds = 16
	n := 2000
	if raceDetector {
		n = 400
	}
	broker, restart := privateBroker(t)
	kc := kafkaTopicsOn(t, broker, kafkatest.Name("crash"), 8)
	k := testKafka{broker: broker, cfg: kc}

	var recs []kafkatest.Record
	for w := range worlds {
		world := fmt.Sprintf("world-%02d", w)
		recs = append(recs, command(t, kc.Topics.Policies, cloudevents.TypePublishPolicy, "policy-"+world, world, rawJSON(kafkaTestPolicy)))
	}
	for i := range n {
		world := fmt.Sprintf("world-%02d", i%worlds)
		recs = append(recs, command(t, kc.Topics.Submissions, cloudevents.TypeSubmitEvaluationRun, fmt.Sprintf("submission-%d", i), world, submissionData(world, i)))
	}
	kafkatest.Produce(t, broker, recs)

	dir := t.TempDir()
	cfgJSON, err := json.Marshal(kc)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "children.log")
	child := func() *exec.Cmd {
		t.Helper()
		logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { logf.Close() })
		cmd := exec.Command(os.Args[0], "-test.run=^TestKafkaCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), kafkaCrashEnvDir+"="+filepath.Join(dir, "data"), kafkaCrashEnvConfig+"="+string(cfgJSON))
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	childLog := func() string {
		b, _ := os.ReadFile(logPath)
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		return string(b)
	}
	created := func(ms []*sarama.ConsumerMessage) (records int, ids map[string]string) {
		ids = map[string]string{} // run → CloudEvents id
		for _, m := range ms {
			w := decodeWire(t, m)
			if w.Type != cloudevents.TypeEvaluationRunCreated {
				continue
			}
			run := w.body.WorldID + "/" + w.body.StrategyID + "/" + w.body.RunID
			if id, ok := ids[run]; ok && id != w.ID {
				t.Fatalf("run %s announced with two ids, %s and %s: a second completion", run, id, w.ID)
			}
			ids[run] = w.ID
			records++
		}
		return records, ids
	}

	// First child: kill it with SIGKILL once a quarter of the runs are out.
	first := child()
	got := waitForRecords(t, broker, kc.Topics.Events, 10*time.Minute, func(ms []*sarama.ConsumerMessage) bool { return len(ms) >= worlds+n/4 })
	if len(got) < worlds+n/4 {
		_ = first.Process.Kill()
		t.Fatalf("the first child announced %d events, then stalled\n%s", len(got), childLog())
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	restart()

	// Second child: run until every run is announced, then stop it cleanly.
	second := child()
	var ids map[string]string
	var records int
	all := waitForRecords(t, broker, kc.Topics.Events, 20*time.Minute, func(ms []*sarama.ConsumerMessage) bool {
		m := ms[len(ms)-1]
		if v, _ := kafkatest.Header(m, "ce_type"); v != cloudevents.TypeEvaluationRunCreated {
			return false
		}
		records, ids = created(ms)
		return len(ids) >= n
	})
	if len(ids) < n {
		_ = second.Process.Kill()
		t.Fatalf("%d of %d runs announced after the restart, then stalled\n%s", len(ids), n, childLog())
	}
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Fatalf("second child: %v\n%s", err, childLog())
	}
	t.Logf("%d runs; %d evaluation_run_created records (%d re-published after the crash, same ids); %d events in all",
		n, records, records-len(ids), len(all))

	submitted, completed, policies := storeFacts(t, filepath.Join(dir, "data"))
	if len(submitted) != n || len(completed) != n || policies != worlds {
		t.Fatalf("store: %d runs submitted, %d completed, %d policies; want %d, %d, %d", len(submitted), len(completed), policies, n, n, worlds)
	}
	for stream, c := range submitted {
		if c != 1 || completed[stream] != 1 {
			t.Fatalf("%s: %d submissions and %d completions, want 1 each", stream, c, completed[stream])
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if dead := kafkatest.Consume(ctx, t, k.broker, kc.Topics.DLQ, func(*sarama.ConsumerMessage) bool { return true }); len(dead) > 0 {
		t.Fatalf("%d records dead-lettered, first: %v", len(dead), dead[0].Headers)
	}
}
