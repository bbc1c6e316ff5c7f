package processor

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/processor/kafkatest"
)

// malformed returns bad record number i of the kinds the ingress must
// dead-letter, keyed "bad-NNNN" so each can be found again, with the code
// it must be dead-lettered with.
func malformed(t *testing.T, topic string, i int) (kafkatest.Record, errcode.Code) {
	t.Helper()
	key := fmt.Sprintf("bad-%04d", i)
	env := func(body string) []byte {
		return []byte(`{"specversion":"1.0","id":"` + key + `","source":"test","type":"submit_evaluation_run","data":` + body + `}`)
	}
	var value []byte
	code := errcode.BadRequest
	switch i % 10 {
	case 0:
		value = []byte(`{not json ` + key)
	case 1:
		value = []byte(`["` + key + `"]`)
	case 2:
		value = []byte(`{"specversion":"1.0","source":"test","type":"submit_evaluation_run","data":{"k":"` + key + `"}}`)
	case 3:
		value = []byte(`{"specversion":"0.3","id":"` + key + `","source":"test","type":"submit_evaluation_run","data":{}}`)
	case 4:
		value, code = []byte(`{"specversion":"1.0","id":"`+key+`","source":"test","type":"publish_policy","data":{}}`), errcode.UnknownCommand
	case 5:
		value = env(`"` + key + `"`)
	case 6:
		value, code = env(`{"strategy_id":"s","returns":[0.1,"abc"]}`), errcode.Validation
	case 7:
		value, code = env(`{"world_id":"another-world","strategy_id":"s","returns":[0.1]}`), errcode.Validation
	case 8:
		value = nil
	case 9:
		value, code = env(`{"strategy_id":"s","returns":[0.1],"colour":"red"}`), errcode.Validation
	}
	return kafkatest.Record{Topic: topic, Key: key, Value: value, Headers: map[string]string{"x-test": key}}, code
}

// TestKafkaMalformedRecordsAreDeadLettered mixes 1,000 malformed records of
// ten kinds into valid submissions on the same partitions and checks that
// every malformed one is in the DLQ once — the original key, value and
// headers with the reason and the source position — and that every valid
// one was applied: no partition stalled behind a poison record.
func TestKafkaMalformedRecordsAreDeadLettered(t *testing.T) {
	const bad = 1000
	valid := 2000
	if raceDetector {
		valid = 1000
	}
	k := newTestKafka(t, 8)
	dir := t.TempDir()
	svc, stop := startKafkaService(t, dir, k.cfg, func(o *options) { o.withoutEvaluator = true })

	var recs []kafkatest.Record
	want := map[string]kafkatest.Record{}
	codes := map[string]errcode.Code{}
	for i := 0; i < valid+bad; i++ {
		if i%3 == 1 && len(want) < bad {
			rec, code := malformed(t, k.cfg.Topics.Submissions, len(want))
			want[rec.Key], codes[rec.Key] = rec, code
			recs = append(recs, rec)
			continue
		}
		world := fmt.Sprintf("world-%02d", i%64)
		recs = append(recs, command(t, k.cfg.Topics.Submissions, cloudevents.TypeSubmitEvaluationRun, fmt.Sprintf("valid-%d", i), world, submissionData(world, i)))
	}
	for len(want) < bad {
		rec, code := malformed(t, k.cfg.Topics.Submissions, len(want))
		want[rec.Key], codes[rec.Key] = rec, code
		recs = append(recs, rec)
	}
	kafkatest.Produce(t, k.broker, recs)

	distinct := func(ms []*sarama.ConsumerMessage) int {
		keys := map[string]bool{}
		for _, m := range ms {
			keys[string(m.Key)] = true
		}
		return len(keys)
	}
	dead := waitForRecords(t, k.broker, k.cfg.Topics.DLQ, 10*time.Minute, func(ms []*sarama.ConsumerMessage) bool { return distinct(ms) >= bad })
	if distinct(dead) != bad {
		t.Fatalf("%d of %d malformed records dead-lettered, then no more for a minute", distinct(dead), bad)
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		head, err := svc.store.Head(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if head >= uint64(len(recs)-bad) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d valid submissions applied within 120s", head, len(recs)-bad)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()

	// Dead-lettering is at least once, like the consumption it follows: a
	// record whose offset was not yet committed when the group rebalanced is
	// read and dead-lettered again. A repeat must name the same source
	// record (topic, partition, offset), which is what a DLQ reader
	// de-duplicates on; every malformed record must be there.
	seen := map[string]string{}
	for _, m := range dead {
		key := string(m.Key)
		orig, ok := want[key]
		source := mustHeader(t, m, DLQHeaderSourcePartition) + "/" + mustHeader(t, m, DLQHeaderSourceOffset)
		switch {
		case !ok:
			t.Fatalf("dead letter with key %q is no malformed record (a valid one?): %s", key, m.Value)
		case seen[key] != "" && seen[key] != source:
			t.Fatalf("%s dead-lettered twice from different source records (%s, %s)", key, seen[key], source)
		case string(m.Value) != string(orig.Value):
			t.Fatalf("%s: dead letter value %q, original %q", key, m.Value, orig.Value)
		}
		seen[key] = source
		if got := mustHeader(t, m, DLQHeaderErrorCode); got != string(codes[key]) {
			t.Errorf("%s: code %s, want %s (%s)", key, got, codes[key], mustHeader(t, m, DLQHeaderErrorMessage))
		}
		if mustHeader(t, m, DLQHeaderErrorMessage) == "" || mustHeader(t, m, "x-test") != key ||
			mustHeader(t, m, DLQHeaderSourceTopic) != k.cfg.Topics.Submissions || mustHeader(t, m, DLQHeaderAttempts) != "1" ||
			mustHeader(t, m, DLQHeaderConsumerGroup) != k.cfg.ConsumerGroup || mustHeader(t, m, DLQHeaderFailedAt) == "" {
			t.Fatalf("%s: headers %v", key, m.Headers)
		}
		if p, err := strconv.Atoi(mustHeader(t, m, DLQHeaderSourcePartition)); err != nil || p < 0 || p >= 8 {
			t.Fatalf("%s: source partition %q", key, mustHeader(t, m, DLQHeaderSourcePartition))
		}
		if o, err := strconv.ParseInt(mustHeader(t, m, DLQHeaderSourceOffset), 10, 64); err != nil || o < 0 {
			t.Fatalf("%s: source offset %q", key, mustHeader(t, m, DLQHeaderSourceOffset))
		}
	}
	submitted, _, _ := storeFacts(t, dir)
	if len(submitted) != len(recs)-bad {
		t.Fatalf("%d runs submitted, want %d", len(submitted), len(recs)-bad)
	}
	for stream, c := range submitted {
		if c != 1 {
			t.Fatalf("%s submitted %d times", stream, c)
		}
	}
}
