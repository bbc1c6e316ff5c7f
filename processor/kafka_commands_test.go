package processor

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/processor/kafkatest"
)

// TestKafkaCommandsAreTheHTTPCommands sends each command over Kafka and the
// same body over HTTP, and checks that the two are one command: the second
// appends nothing, whichever came first. It also publishes and defaults a
// policy and overrides a run over Kafka, and reads the integration events
// those produce.
func TestKafkaCommandsAreTheHTTPCommands(t *testing.T) {
	k := newTestKafka(t, 2)
	dir := t.TempDir()
	svc, stop := startKafkaService(t, dir, k.cfg)
	base := "http://" + svc.Addr()
	post := func(path, key string, body any) int {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
		}
		return resp.StatusCode
	}
	waitHTTP := func(path string, ok func(map[string]any) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			resp, err := http.Get(base + path)
			if err == nil {
				var v map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK && ok(v) {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: not there within 60s", path)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	body := func(run string) map[string]any {
		return map[string]any{"strategy_id": "s1", "run_id": run, "stage": "backtest", "returns": []float64{0.01, -0.002, 0.004, 0.003}}
	}
	withWorld := func(m map[string]any) map[string]any { m["world_id"] = "w"; return m }
	kafkatest.Produce(t, k.broker, []kafkatest.Record{
		command(t, k.cfg.Topics.Policies, cloudevents.TypePublishPolicy, "pol-1", "w", rawJSON(kafkaTestPolicy)),
		command(t, k.cfg.Topics.Policies, cloudevents.TypePublishPolicy, "pol-2", "w", rawJSON(kafkaTestPolicy)),
		command(t, k.cfg.Topics.Policies, cloudevents.TypeSetDefaultPolicy, "def-2", "w", map[string]any{"version": 2}),
		command(t, k.cfg.Topics.Submissions, cloudevents.TypeSubmitEvaluationRun, "sub-1", "w", withWorld(body("r1"))),
	})
	waitHTTP("/worlds/w/strategies/s1/runs/r1", func(v map[string]any) bool { return v["status"] == "evaluated" })
	if code := post("/worlds/w/evaluations", "sub-1", body("r1")); code != http.StatusOK {
		t.Fatalf("the HTTP twin of a Kafka submission answered %d, want 200 (a duplicate)", code)
	}
	if code := post("/worlds/w/evaluations", "sub-2", body("r2")); code != http.StatusAccepted {
		t.Fatalf("a new HTTP submission answered %d", code)
	}
	kafkatest.Produce(t, k.broker, []kafkatest.Record{
		command(t, k.cfg.Topics.Submissions, cloudevents.TypeSubmitEvaluationRun, "sub-2", "w", withWorld(body("r2"))),
		command(t, k.cfg.Topics.Overrides, cloudevents.TypeRecordOverride, "ov-1", "w", map[string]any{
			"world_id": "w", "strategy_id": "s1", "run_id": "r1", "status": "approved", "reason": "desk accepts it", "actor": "alice", "timestamp": "2026-11-26T10:00:00Z",
		}),
	})
	// Wait for every announcement the commands imply, not just the last
	// command's: the topics are consumed concurrently, so under load the
	// policies topic may be applied after the overrides topic.
	want := map[string]int{
		cloudevents.TypePolicyUpdated: 2, cloudevents.TypeValidationProfileChanged: 2,
		cloudevents.TypeEvaluationRunCreated: 2, cloudevents.TypeEvaluationRunUpdated: 1,
	}
	countTypes := func(ms []*sarama.ConsumerMessage) map[string]int {
		types := map[string]int{}
		for _, m := range ms {
			v, _ := kafkatest.Header(m, "ce_type")
			types[v]++
		}
		return types
	}
	overridden := func(ms []*sarama.ConsumerMessage) bool {
		for _, m := range ms {
			if v, _ := kafkatest.Header(m, "ce_type"); v != cloudevents.TypeEvaluationRunUpdated {
				continue
			}
			var ev struct {
				Data struct {
					ChangeType string `json:"change_type"`
				} `json:"data"`
			}
			if json.Unmarshal(m.Value, &ev) == nil && ev.Data.ChangeType == cloudevents.ChangeOverride {
				return true
			}
		}
		return false
	}
	got := waitForRecords(t, k.broker, k.cfg.Topics.Events, 60*time.Second, func(ms []*sarama.ConsumerMessage) bool {
		types := countTypes(ms)
		for typ, n := range want {
			if types[typ] < n {
				return false
			}
		}
		return overridden(ms)
	})
	types := map[string]int{}
	for _, m := range got {
		types[mustHeader(t, m, "ce_type")]++
	}
	for typ, n := range want {
		if types[typ] < n {
			t.Errorf("%d %s events, want %d (all: %v)", types[typ], typ, n, types)
		}
	}
	stop()

	store, err := sqlite.Open(t.Context(), EventStorePath(dir), sqlite.WithRegistry(events.Catalogue()))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	recs, err := store.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range recs {
		count[r.Type]++
		if r.Type == events.TypeEvaluationRunSubmitted || r.Type == events.TypeOverrideRecorded {
			if r.Actor == "" {
				t.Errorf("%s without an actor", r.Type)
			}
		}
	}
	for typ, n := range map[string]int{
		events.TypePolicyPublished: 2, events.TypeDefaultPolicySet: 2, events.TypeEvaluationRunSubmitted: 2,
		events.TypeEvaluationCompleted: 2, events.TypeOverrideRecorded: 1,
	} {
		if count[typ] != n {
			t.Errorf("%d %s events in the store, want %d", count[typ], typ, n)
		}
	}
}
