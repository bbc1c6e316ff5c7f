package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/processor"
)

// kafkaBenchPolicy is the policy every benchmark world publishes.
const kafkaBenchPolicy = `{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1, "max_dd_max": 0.5}}}}`

func benchKafkaCommand() command {
	return command{
		name:     "bench kafka",
		synopsis: "Measure consume-to-verdict throughput and latency of submissions through a real Kafka broker.",
		usage:    "--brokers HOST:PORT [--messages N] [--rate R] [--worlds W] [--partitions P] [--data-dir DIR]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			kf := declareKafkaFlags(fs)
			var b kafkaBench
			fs.IntVar(&b.messages, "messages", 10000, "`number` of submissions to publish")
			fs.IntVar(&b.worlds, "worlds", 64, "`number` of worlds (record keys) the submissions spread over")
			fs.IntVar(&b.partitions, "partitions", 8, "`number` of partitions of the benchmark's topics")
			fs.Float64Var(&b.rate, "rate", 0, "publish at this many submissions per `second` (open loop; 0: all at once, which measures throughput, and latency as the time in the backlog)")
			fs.StringVar(&b.dataDir, "data-dir", "", "`directory` for the event store (default: a temporary one, removed after)")
			fs.DurationVar(&b.timeout, "timeout", 30*time.Minute, "give up after this `duration`")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if b.messages < 1 || b.worlds < 1 || b.partitions < 1 || b.rate < 0 {
					return usagef("--messages, --worlds and --partitions must be positive, --rate not negative")
				}
				cfg, err := kf.load(env.getenv)
				if err != nil {
					return err
				}
				b.cfg, b.env = cfg, env
				return b.run(ctx)
			}
		},
	}
}

// kafkaBench is one run of `worldval bench kafka`: topics of its own on the
// broker, the service in this process over a fresh store, a backlog-free
// stream of submissions, and a worker that timestamps every verdict.
type kafkaBench struct {
	cfg                          processor.KafkaConfig
	env                          *environment
	messages, worlds, partitions int
	rate                         float64
	dataDir                      string
	timeout                      time.Duration
}

func (b *kafkaBench) run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	prefix := "bench-" + strings.ToLower(rand.Text()[:8])
	b.cfg.ConsumerGroup = prefix
	b.cfg.Topics = processor.KafkaTopics{
		Submissions: prefix + ".submissions", Policies: prefix + ".policies", Overrides: prefix + ".overrides",
		RiskSnapshots: prefix + ".risk-snapshots", DLQ: prefix + ".dlq", Events: prefix + ".events",
	}
	dropTopics, err := b.createTopics()
	if err != nil {
		return err
	}
	defer dropTopics()
	dir := b.dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "worldval-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}

	watch := newKafkaVerdicts(b.worlds, b.messages)
	log := slog.New(slog.NewTextHandler(b.env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := processor.New(ctx, processor.Config{DataDir: dir, HTTP: processor.HTTPConfig{Addr: "127.0.0.1:0"}, Kafka: b.cfg}, log,
		processor.WithWorkers(watch))
	if err != nil {
		return err
	}
	svcCtx, stopSvc := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- svc.Run(svcCtx) }()
	stop := func() error { stopSvc(); return <-done }

	fmt.Fprintf(b.env.stderr, "bench kafka: %d submissions, %d worlds, %d partitions, brokers %v, store %s\n", b.messages, b.worlds, b.partitions, b.cfg.Brokers, dir)
	sent, err := b.produce(ctx, watch)
	if err != nil {
		return errors.Join(err, stop())
	}
	fmt.Fprintf(b.env.stderr, "bench kafka: %d submissions published; waiting for their verdicts\n", len(sent))
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-watch.done:
			waiting = false
		case <-tick.C:
			fmt.Fprintf(b.env.stderr, "bench kafka: %d of %d verdicts\n", watch.count(), b.messages)
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("%d of %d verdicts within %v", watch.count(), b.messages, b.timeout), stop())
		}
	}
	if err := stop(); err != nil {
		return err
	}
	b.report(sent, watch)
	return nil
}

// createTopics creates the benchmark's topics and returns their removal.
func (b *kafkaBench) createTopics() (func(), error) {
	sc, err := b.cfg.SaramaConfig(b.env.getenv)
	if err != nil {
		return nil, err
	}
	admin, err := sarama.NewClusterAdmin(b.cfg.Brokers, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", b.cfg.Brokers, err)
	}
	names := []string{b.cfg.Topics.Submissions, b.cfg.Topics.Policies, b.cfg.Topics.Overrides, b.cfg.Topics.RiskSnapshots, b.cfg.Topics.DLQ, b.cfg.Topics.Events}
	drop := func() {
		for _, n := range names {
			_ = admin.DeleteTopic(n)
		}
		_ = admin.Close()
	}
	for _, n := range names {
		if err := admin.CreateTopic(n, &sarama.TopicDetail{NumPartitions: int32(b.partitions), ReplicationFactor: 1}, false); err != nil {
			drop()
			return nil, fmt.Errorf("create topic %s: %w", n, err)
		}
	}
	return drop, nil
}

// produce publishes one policy per world, waits until they are recorded,
// then publishes the submissions in batches, and returns when each batch
// was sent.
func (b *kafkaBench) produce(ctx context.Context, watch *kafkaVerdicts) (map[string]time.Time, error) {
	sc, err := b.cfg.ProducerConfig(b.env.getenv)
	if err != nil {
		return nil, err
	}
	producer, err := sarama.NewSyncProducer(b.cfg.Brokers, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", b.cfg.Brokers, err)
	}
	defer producer.Close()
	var policies []*sarama.ProducerMessage
	for w := range b.worlds {
		world := fmt.Sprintf("bench-world-%03d", w)
		m, err := kafkaBenchRecord(b.cfg.Topics.Policies, cloudevents.TypePublishPolicy, "policy-"+world, world, json.RawMessage(kafkaBenchPolicy))
		if err != nil {
			return nil, err
		}
		policies = append(policies, m)
	}
	if err := producer.SendMessages(policies); err != nil {
		return nil, fmt.Errorf("publish policies: %w", err)
	}
	select {
	case <-watch.policiesDone:
	case <-ctx.Done():
		return nil, fmt.Errorf("policies not recorded: %w", ctx.Err())
	}
	fmt.Fprintf(b.env.stderr, "bench kafka: %d policies recorded; publishing submissions\n", b.worlds)
	sent := make(map[string]time.Time, b.messages)
	batch, began := 500, time.Now()
	if b.rate > 0 {
		batch = max(1, int(b.rate/50)) // 50 sends a second
	}
	for start := 0; start < b.messages; start += batch {
		if b.rate > 0 {
			due := began.Add(time.Duration(float64(start) / b.rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
		}
		var msgs []*sarama.ProducerMessage
		at := time.Now()
		for i := start; i < min(start+batch, b.messages); i++ {
			world := fmt.Sprintf("bench-world-%03d", i%b.worlds)
			run := fmt.Sprintf("run-%07d", i)
			body := map[string]any{
				"world_id": world, "strategy_id": fmt.Sprintf("s%d", i%13), "run_id": run, "stage": "backtest",
				"returns": kafkaBenchReturns(i),
			}
			m, err := kafkaBenchRecord(b.cfg.Topics.Submissions, cloudevents.TypeSubmitEvaluationRun, "bench-"+run, world, body)
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, m)
			stream, _ := events.RunStream(world, body["strategy_id"].(string), run)
			sent[stream] = at
		}
		if err := producer.SendMessages(msgs); err != nil {
			return nil, fmt.Errorf("publish submissions: %w", err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return sent, nil
}

// kafkaBenchReturns is a deterministic daily return series of 252 points.
func kafkaBenchReturns(i int) []float64 {
	r := make([]float64, 252)
	for j := range r {
		r[j] = float64((i*31+j*17)%200-95) / 10000
	}
	return r
}

// kafkaBenchRecord builds one command record.
func kafkaBenchRecord(topic, typ, id, world string, data any) (*sarama.ProducerMessage, error) {
	body, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	value, err := cloudevents.Marshal(cloudevents.Event{ID: id, Source: "worldval-bench", Type: typ, Data: body})
	if err != nil {
		return nil, err
	}
	return &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(world), Value: sarama.ByteEncoder(value)}, nil
}

// report prints throughput and latency.
func (b *kafkaBench) report(sent map[string]time.Time, w *kafkaVerdicts) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var first, last time.Time
	for _, t := range sent {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	lat := make([]time.Duration, 0, len(w.verdicts))
	for stream, at := range w.verdicts {
		if at.After(last) {
			last = at
		}
		if s, ok := sent[stream]; ok {
			lat = append(lat, at.Sub(s))
		}
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Millisecond)
	}
	elapsed := last.Sub(first)
	out := b.env.stdout
	mode := "all at once"
	if b.rate > 0 {
		mode = fmt.Sprintf("at %.0f/s", b.rate)
	}
	fmt.Fprintf(out, "bench kafka: %d submissions over %d worlds and %d partitions, published %s\n", b.messages, b.worlds, b.partitions, mode)
	fmt.Fprintf(out, "  publish → verdict:  %.0f submissions/s (%d verdicts in %v)\n", float64(len(w.verdicts))/elapsed.Seconds(), len(w.verdicts), elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "  ingest (appended):  %.0f submissions/s\n", float64(w.submitted)/w.lastSubmit.Sub(w.firstSubmit).Seconds())
	fmt.Fprintf(out, "  latency publish → verdict: p50 %v  p90 %v  p99 %v  max %v\n", q(0.5), q(0.9), q(0.99), q(1))
	fmt.Fprintf(out, "  machine: %d CPUs (%s), %s %s/%s\n", runtime.NumCPU(), machineCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// machineCPU is the first model name of /proc/cpuinfo, or "unknown CPU".
func machineCPU() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// kafkaVerdicts is the benchmark's worker: it notes when the worlds'
// policies are recorded, and when each submission and verdict is.
type kafkaVerdicts struct {
	worlds, want int
	policiesDone chan struct{}
	done         chan struct{}

	mu                      sync.Mutex
	policies, submitted     int
	firstSubmit, lastSubmit time.Time
	verdicts                map[string]time.Time // run stream → verdict recorded
}

func newKafkaVerdicts(worlds, want int) *kafkaVerdicts {
	return &kafkaVerdicts{worlds: worlds, want: want, policiesDone: make(chan struct{}), done: make(chan struct{}), verdicts: make(map[string]time.Time, want)}
}

// Name is the worker's subscription name.
func (w *kafkaVerdicts) Name() string { return "bench-verdict-watch" }

// Handle notes policies, submissions and verdicts.
func (w *kafkaVerdicts) Handle(_ context.Context, rec events.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch rec.Type {
	case events.TypePolicyPublished:
		if w.policies++; w.policies == w.worlds {
			close(w.policiesDone)
		}
	case events.TypeEvaluationRunSubmitted:
		if w.submitted == 0 {
			w.firstSubmit = rec.RecordedAt
		}
		w.submitted++
		w.lastSubmit = rec.RecordedAt
	case events.TypeEvaluationCompleted:
		if _, dup := w.verdicts[rec.Stream]; !dup {
			w.verdicts[rec.Stream] = rec.RecordedAt
			if len(w.verdicts) == w.want {
				close(w.done)
			}
		}
	}
	return nil
}

// count is how many verdicts were seen.
func (w *kafkaVerdicts) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.verdicts)
}
