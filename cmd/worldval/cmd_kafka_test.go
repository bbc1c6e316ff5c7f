package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/processor"
	"github.com/worldval/worldval/processor/kafkatest"
)

// kafkaCLIConfig writes a configuration file whose kafka block names fresh
// topics on the test broker, and returns its path and the topics.
func kafkaCLIConfig(t *testing.T) (string, processor.KafkaTopics, string) {
	t.Helper()
	broker := kafkatest.Broker(t)
	p := kafkatest.Name("cli")
	topics := processor.KafkaTopics{
		Submissions: p + ".submissions", Policies: p + ".policies", Overrides: p + ".overrides",
		RiskSnapshots: p + ".risk-snapshots", DLQ: p + ".dlq", Events: p + ".events", ExitSignals: p + ".exit-signals",
	}
	kafkatest.CreateTopics(t, broker, 2, topics.Submissions, topics.Policies, topics.Overrides, topics.DLQ)
	cfg := "kafka:\n  brokers: [" + broker + "]\n  topics:\n" +
		"    submissions: " + topics.Submissions + "\n    policies: " + topics.Policies + "\n    overrides: " + topics.Overrides + "\n" +
		"    risk_snapshots: " + topics.RiskSnapshots + "\n    dlq: " + topics.DLQ + "\n    events: " + topics.Events + "\n" +
		"    exit_signals: " + topics.ExitSignals + "\n"
	path := filepath.Join(t.TempDir(), "worldval.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, topics, broker
}

// readAll reads n records of topic.
func readAll(t *testing.T, broker, topic string, n int) []*sarama.ConsumerMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []*sarama.ConsumerMessage
	return kafkatest.Consume(ctx, t, broker, topic, func(m *sarama.ConsumerMessage) bool {
		got = append(got, m)
		return len(got) < n
	})
}

func TestPublishWrapsTheBodyInACloudEvent(t *testing.T) {
	cfg, topics, broker := kafkaCLIConfig(t)
	file := filepath.Join(t.TempDir(), "run.json")
	body := `{"world_id": "w1", "strategy_id": "s1", "returns": [0.01, -0.02]}`
	compact := `{"world_id":"w1","strategy_id":"s1","returns":[0.01,-0.02]}`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the same file twice: the same id
		if code, out, errOut := runCLI(t, "publish", "submission", "--config", cfg, "--file", file); code != exitOK {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "publish", "policy", "--config", cfg, "--file", file, "--id", "my-key"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	subs := readAll(t, broker, topics.Submissions, 2)
	if len(subs) != 2 {
		t.Fatalf("%d records", len(subs))
	}
	var ids []string
	for _, m := range subs {
		ev, err := cloudevents.Parse(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Key) != "w1" || ev.Type != cloudevents.TypeSubmitEvaluationRun || ev.Source != "worldval-cli" || string(ev.Data) != compact {
			t.Fatalf("record key %q event %+v", m.Key, ev)
		}
		ids = append(ids, ev.ID)
	}
	if ids[0] != ids[1] || !strings.HasPrefix(ids[0], "submission:") {
		t.Fatalf("ids %v: the same file must give the same id", ids)
	}
	pols := readAll(t, broker, topics.Policies, 1)
	if ev, err := cloudevents.Parse(pols[0].Value); err != nil || ev.ID != "my-key" || ev.Type != cloudevents.TypePublishPolicy {
		t.Fatalf("policy record %s: %v", pols[0].Value, err)
	}

	if err := os.WriteFile(file, []byte(`{"strategy_id": "s1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "publish", "submission", "--config", cfg, "--file", file); code != exitUsage || !strings.Contains(errOut, "world_id is required") {
		t.Fatalf("a body without world_id: exit %d, %s", code, errOut)
	}
}

func TestDLQListAndReplay(t *testing.T) {
	cfg, topics, broker := kafkaCLIConfig(t)
	value := `{"specversion":"1.0","id":"k1","source":"s","type":"submit_evaluation_run","data":{"strategy_id":"s","returns":["x"]}}`
	kafkatest.Produce(t, broker, []kafkatest.Record{{Topic: topics.DLQ, Key: "w1", Value: []byte(value), Headers: map[string]string{
		"content-type": cloudevents.ContentType, "x-trace": "t1",
		processor.DLQHeaderErrorCode: "E_VALIDATION", processor.DLQHeaderErrorMessage: "returns[0]: must be a number",
		processor.DLQHeaderSourceTopic: topics.Submissions, processor.DLQHeaderSourcePartition: "1", processor.DLQHeaderSourceOffset: "42",
		processor.DLQHeaderAttempts: "1", processor.DLQHeaderFailedAt: "2026-11-26T00:00:00Z",
	}}})

	code, out, errOut := runCLI(t, "dlq", "list", "--config", cfg, "--json")
	if code != exitOK {
		t.Fatalf("list: exit %d, %s", code, errOut)
	}
	var d dlqRecord
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &d); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if d.Code != "E_VALIDATION" || d.SourceTopic != topics.Submissions || d.SourceOff != "42" || d.Key != "w1" || d.ID != "k1" || d.Headers["x-trace"] != "t1" || d.Value != value {
		t.Fatalf("listed %+v", d)
	}
	if code, out, _ := runCLI(t, "dlq", "list", "--config", cfg, "--code", "E_CONFLICT"); code != exitOK || !strings.Contains(out, "0 dead letters") {
		t.Fatalf("filtered list: %d %s", code, out)
	}
	if code, _, errOut := runCLI(t, "dlq", "replay", "--config", cfg); code != exitUsage || !strings.Contains(errOut, "say what to replay") {
		t.Fatalf("replay without a selection: %d %s", code, errOut)
	}
	if code, out, errOut := runCLI(t, "dlq", "replay", "--config", cfg, "--code", "E_VALIDATION"); code != exitOK || !strings.Contains(out, "1 dead letters replayed") {
		t.Fatalf("replay: exit %d, %s %s", code, out, errOut)
	}
	got := readAll(t, broker, topics.Submissions, 1)
	if len(got) != 1 || string(got[0].Key) != "w1" || string(got[0].Value) != value {
		t.Fatalf("replayed %v", got)
	}
	if v, _ := kafkatest.Header(got[0], "x-trace"); v != "t1" {
		t.Errorf("the original header was not replayed: %v", got[0].Headers)
	}
	if _, ok := kafkatest.Header(got[0], processor.DLQHeaderErrorCode); ok {
		t.Errorf("the DLQ headers were replayed: %v", got[0].Headers)
	}
}
