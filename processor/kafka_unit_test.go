package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/validation/policy"
)

func TestDecodeCommandFindsTheWorld(t *testing.T) {
	env := func(data string) []byte {
		return []byte(`{"specversion":"1.0","id":"k1","source":"runner","type":"submit_evaluation_run","correlationid":"c9","data":` + data + `}`)
	}
	pos := recordPosition{topic: "t", partition: 2, offset: 7}
	for _, tc := range []struct {
		name, key, data, world, body string
		code                         errcode.Code
	}{
		{name: "from data", data: `{"world_id":"w1","strategy_id":"s"}`, world: "w1", body: `{"strategy_id":"s"}`},
		{name: "from data and key", key: "w1", data: `{"strategy_id":"s","world_id":"w1","run_id":"r"}`, world: "w1", body: `{"strategy_id":"s","run_id":"r"}`},
		{name: "from the key", key: "w2", data: `{"strategy_id":"s"}`, world: "w2", body: `{"strategy_id":"s"}`},
		{name: "they differ", key: "w2", data: `{"world_id":"w1"}`, code: errcode.Validation},
		{name: "neither", data: `{"strategy_id":"s"}`, code: errcode.Validation},
		{name: "not a string", data: `{"world_id":7}`, code: errcode.Validation},
		{name: "blank key", key: " w", data: `{}`, code: errcode.Validation},
		{name: "repeated member", key: "w", data: `{"a":1,"a":2}`, code: errcode.Validation},
	} {
		p := pos
		if tc.key != "" {
			p.key = []byte(tc.key)
		}
		cmd, err := decodeCommand(p, env(tc.data))
		if tc.code != "" {
			if !errcode.Has(err, tc.code) {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if cmd.WorldID != tc.world || string(cmd.Body) != tc.body || cmd.Event.Correlation() != "c9" || cmd.Partition != 2 || cmd.Offset != 7 {
			t.Errorf("%s: %+v body %s", tc.name, cmd, cmd.Body)
		}
	}
	for _, value := range []string{"", "  ", "{", `{"specversion":"1.0"}`, `[]`} {
		if _, err := decodeCommand(pos, []byte(value)); !errcode.Has(err, errcode.BadRequest) {
			t.Errorf("%q: got %v, want E_BAD_REQUEST", value, err)
		}
	}
}

func TestTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{errcode.New(errcode.Conflict, "busy stream"), true},
		{errcode.New(errcode.Unavailable, "stopping"), true},
		{fmt.Errorf("append: %w", eventstore.ErrClosed), true},
		{fmt.Errorf("load: %w", context.DeadlineExceeded), true},
		{errors.New("disk I/O error"), true},
		{errcode.New(errcode.Validation, "bad"), false},
		{errcode.New(errcode.BadRequest, "bad"), false},
		{errcode.New(errcode.UnknownCommand, "?"), false},
		{errcode.New(errcode.NotImplemented, "later"), false},
		{errcode.New(errcode.RunAlreadyEvaluated, "taken"), false},
		{errcode.New(errcode.IdempotencyKeyReused, "reused"), false},
		{&policy.Error{Problems: []policy.Problem{{Code: policy.CodeInvalid, Message: "x"}}}, false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%v) = %v", tc.err, got)
		}
	}
}

func TestRetryDelayDoublesUpToTheCap(t *testing.T) {
	cfg := KafkaRetryConfig{MaxAttempts: 8, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for attempt, base := range map[int]time.Duration{2: 100 * time.Millisecond, 3: 200 * time.Millisecond, 4: 400 * time.Millisecond, 5: 800 * time.Millisecond, 6: time.Second, 9: time.Second} {
		for range 20 {
			if d := retryDelay(cfg, attempt); d < base*8/10 || d > base*12/10 {
				t.Fatalf("attempt %d: delay %v outside %v ± 20%%", attempt, d, base)
			}
		}
	}
}

func TestDeadLetterRecord(t *testing.T) {
	from := recordPosition{topic: "worldval.submissions", partition: 3, offset: 41, key: []byte("w1")}
	at := time.Date(2026, 5, 1, 2, 3, 4, 5, time.UTC)
	d := deadLetterOf(from, errcode.New(errcode.Validation, "the submission is invalid: returns[1]: must be a number"), 1, "worldval", at)
	original := message.Metadata{"content-type": "application/cloudevents+json", DLQHeaderErrorCode: "E_OLD", "trace": "abc"}
	rec, err := recordMarshaler{}.Marshal("worldval.dlq", d.record([]byte(`{"id":"x"}`), original))
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{}
	var names []string
	for _, h := range rec.Headers {
		headers[string(h.Key)] = string(h.Value)
		names = append(names, string(h.Key))
	}
	key, _ := rec.Key.Encode()
	value, _ := rec.Value.Encode()
	want := map[string]string{
		"content-type": "application/cloudevents+json", "trace": "abc",
		DLQHeaderErrorCode: "E_VALIDATION", DLQHeaderErrorMessage: "E_VALIDATION: the submission is invalid: returns[1]: must be a number",
		DLQHeaderSourceTopic: "worldval.submissions", DLQHeaderSourcePartition: "3", DLQHeaderSourceOffset: "41",
		DLQHeaderAttempts: "1", DLQHeaderFailedAt: "2026-05-01T02:03:04.000000005Z", DLQHeaderConsumerGroup: "worldval",
	}
	if len(headers) != len(want) || string(key) != "w1" || string(value) != `{"id":"x"}` || rec.Topic != "worldval.dlq" {
		t.Fatalf("record %s key %q value %s headers %v", rec.Topic, key, value, headers)
	}
	for k, v := range want {
		if headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, headers[k], v)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("headers not in name order: %v", names)
	}
}

func TestTruncateKeepsRunes(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes
	if got := truncate(s, 5); !strings.HasPrefix(got, "éé…") {
		t.Fatalf("truncate: %q", got)
	}
	if truncate("short", 10) != "short" {
		t.Fatal("a short string was changed")
	}
}

func TestKafkaConfigValidate(t *testing.T) {
	valid := func() KafkaConfig {
		c := KafkaConfig{Brokers: []string{"k1:9092"}}
		c.SetDefaults()
		return c
	}
	for _, tc := range []struct {
		name   string
		mutate func(*KafkaConfig)
		want   string
	}{
		{"broker", func(c *KafkaConfig) { c.Brokers = []string{"k1"} }, `brokers[0]: "k1" is not host:port`},
		{"topic name", func(c *KafkaConfig) { c.Topics.DLQ = "dead letters" }, "topics.dlq:"},
		{"same topic", func(c *KafkaConfig) { c.Topics.Events = c.Topics.Submissions }, "topics.events: \"worldval.submissions\" is also topics.submissions"},
		{"attempts", func(c *KafkaConfig) { c.Retry.MaxAttempts = -1 }, "retry.max_attempts"},
		{"backoff cap", func(c *KafkaConfig) { c.Retry.MaxBackoff = time.Millisecond }, "retry.max_backoff"},
		{"cert without key", func(c *KafkaConfig) { c.TLS.CertFile = "c.pem" }, "tls: cert_file and key_file go together"},
		{"mechanism", func(c *KafkaConfig) { c.SASL = KafkaSASLConfig{Mechanism: "GSSAPI", Username: "u", Password: "p"} }, `unknown mechanism "GSSAPI"`},
		{"username", func(c *KafkaConfig) { c.SASL = KafkaSASLConfig{Mechanism: SASLPlain, Password: "p"} }, "sasl.username: required"},
		{"two passwords", func(c *KafkaConfig) {
			c.SASL = KafkaSASLConfig{Mechanism: SASLPlain, Username: "u", Password: "p", PasswordEnv: "P"}
		}, "exactly one of password"},
		{"password without mechanism", func(c *KafkaConfig) { c.SASL = KafkaSASLConfig{Username: "u"} }, "sasl.mechanism: required"},
	} {
		c := valid()
		tc.mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if c := valid(); c.Validate() != nil {
		t.Fatalf("defaults invalid: %v", c.Validate())
	}
}

func TestKafkaBrokersFromTheEnvironment(t *testing.T) {
	cfg, err := LoadConfig("", envMap(map[string]string{
		"WORLDVAL_KAFKA_BROKERS": " k1:9092, k2:9092,,", "WORLDVAL_KAFKA_SASL_MECHANISM": "scram-sha-512",
		"WORLDVAL_KAFKA_SASL_USERNAME": "wv", "WORLDVAL_KAFKA_SASL_PASSWORD_ENV": "KAFKA_PW", "WORLDVAL_KAFKA_RETRY_MAX_ATTEMPTS": "9",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	k := cfg.Kafka
	if !k.Enabled() || strings.Join(k.Brokers, "|") != "k1:9092|k2:9092" || k.SASL.Mechanism != SASLScramSHA512 || k.Retry.MaxAttempts != 9 {
		t.Fatalf("kafka block %+v", k)
	}
}

func TestSaramaConfigAuthentication(t *testing.T) {
	c := KafkaConfig{Brokers: []string{"k:9092"}, SASL: KafkaSASLConfig{Mechanism: SASLScramSHA256, Username: "wv", PasswordEnv: "PW"}}
	c.SetDefaults()
	if _, err := c.SaramaConfig(envMap(nil)); err == nil || !strings.Contains(err.Error(), "PW is unset") {
		t.Fatalf("missing password: %v", err)
	}
	sc, err := c.SaramaConfig(envMap(map[string]string{"PW": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if !sc.Net.SASL.Enable || sc.Net.SASL.Mechanism != sarama.SASLTypeSCRAMSHA256 || sc.Net.SASL.Password != "s3cret" || sc.Net.SASL.SCRAMClientGeneratorFunc == nil {
		t.Fatalf("sasl %+v", sc.Net.SASL)
	}
	client := sc.Net.SASL.SCRAMClientGeneratorFunc()
	if err := client.Begin("wv", "s3cret", ""); err != nil {
		t.Fatal(err)
	}
	if first, err := client.Step(""); err != nil || !strings.HasPrefix(first, "n,,n=wv,r=") {
		t.Fatalf("first SCRAM message %q, %v", first, err)
	}

	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.SASL = KafkaSASLConfig{Mechanism: SASLPlain, Username: "wv", PasswordFile: pw}
	c.TLS = KafkaTLSConfig{CAFile: filepath.Join(dir, "missing.pem")}
	if _, err := c.SaramaConfig(nil); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Fatalf("missing CA file: %v", err)
	}
	c.TLS = KafkaTLSConfig{Enabled: true}
	sc, err = c.SaramaConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sc.Net.TLS.Enable || sc.Net.SASL.Mechanism != sarama.SASLTypePlaintext || sc.Net.SASL.Password != "from-file" {
		t.Fatalf("tls %v, sasl %+v", sc.Net.TLS.Enable, sc.Net.SASL)
	}
	pc, err := c.ProducerConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !pc.Producer.Idempotent || pc.Producer.RequiredAcks != sarama.WaitForAll || pc.Net.MaxOpenRequests != 1 {
		t.Fatalf("producer %+v", pc.Producer)
	}
}

// TestIngressCountsRiskHubMetrics: every outcome of a decoded command lands
// in the counter risk-hub §6.1 names for it — snapshots in
// risk_hub_snapshot_retry_total and _dlq_total, the other commands in
// validation_event_*_total with world, type and stage — and an applied
// command's age since its CloudEvents time in the latency histogram.
func TestIngressCountsRiskHubMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	hub := NewRiskHubMetrics(reg)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	in := &Ingress{hub: hub, now: func() time.Time { return now }}
	sub := KafkaCommand{WorldID: "w1", Body: json.RawMessage(`{"strategy_id":"s","stage":"paper","returns":[0.01]}`)}
	sub.Event.Type, sub.Event.Time = cloudevents.TypeSubmitEvaluationRun, now.Add(-1500*time.Millisecond).Format(time.RFC3339Nano)
	snap := KafkaCommand{WorldID: "w2", Body: json.RawMessage(`{"version":"v1","stage":"live"}`)}
	snap.Event.Type = cloudevents.TypeRiskSnapshotUpdated
	for _, o := range []string{kafkaApplied, kafkaDuplicate, kafkaRetried, kafkaRetried, kafkaRetriesExhausted, kafkaDeadLettered} {
		in.observe(&sub, o)
	}
	for _, o := range []string{kafkaRetried, kafkaDeadLettered, kafkaApplied} {
		in.observe(&snap, o)
	}
	event := func(c *prometheus.CounterVec) float64 {
		return counterValue(t, c.WithLabelValues("w1", cloudevents.TypeSubmitEvaluationRun, "paper"))
	}
	for name, tc := range map[string]struct {
		got, want float64
	}{
		"validation_event_processed_total": {event(hub.eventProcessed), 1},
		"validation_event_dedupe_total":    {event(hub.eventDedupe), 1},
		"validation_event_retry_total":     {event(hub.eventRetry), 2},
		"validation_event_failed_total":    {event(hub.eventFailed), 1},
		"validation_event_dlq_total":       {event(hub.eventDLQ), 1},
		"risk_hub_snapshot_retry_total":    {counterValue(t, hub.retry.WithLabelValues("w2", "live")), 1},
		"risk_hub_snapshot_dlq_total":      {counterValue(t, hub.dlq.WithLabelValues("w2", "live")), 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", name, tc.got, tc.want)
		}
	}
	if v := counterValue(t, hub.eventProcessed.WithLabelValues("w2", cloudevents.TypeRiskSnapshotUpdated, "live")); v != 0 {
		t.Errorf("the snapshot was counted as a validation event too (%v)", v)
	}
	var m dto.Metric
	if err := hub.eventLatency.WithLabelValues("w1", cloudevents.TypeSubmitEvaluationRun, "paper").(prometheus.Histogram).Write(&m); err != nil {
		t.Fatal(err)
	}
	if h := m.GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() != 1.5 {
		t.Errorf("latency histogram: %d samples summing %v, want one of 1.5 s", h.GetSampleCount(), h.GetSampleSum())
	}
}

// counterValue reads a counter's value.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
