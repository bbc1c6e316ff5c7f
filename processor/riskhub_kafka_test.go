package processor

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
)

// kafkaSnapshot is a risk_snapshot_updated command as the ingress hands it
// over: data without world_id, the world from data or the record key.
func kafkaSnapshot(id, data string) KafkaCommand {
	return KafkaCommand{
		Event:   cloudevents.Event{SpecVersion: "1.0", ID: id, Source: "gateway", Type: cloudevents.TypeRiskSnapshotUpdated, CorrelationID: "corr-" + id},
		WorldID: "w",
		Body:    []byte(data),
		Topic:   "worldval.risk-snapshots",
	}
}

func TestHubKafkaCommand(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	hub := h.svc.hub.hub
	ctx := t.Context()
	prov := `"provenance":{"actor":"worldservice","stage":"live","source":"worldservice"}`
	valid := `{"as_of":"2025-01-01T00:00:00Z","version":"k1","weights":{"s1":1.0},` + prov +
		`,"created_at":"2025-01-01T00:00:02Z","event_version":1,"idempotency_key":"risk_snapshot_updated:w:x:1","ttl_sec":120}`

	dup, err := hub.HandleCommand(ctx, kafkaSnapshot("e1", valid))
	if err != nil || dup {
		t.Fatalf("first delivery: dup %v, %v", dup, err)
	}
	recs := h.recorded("w")
	if len(recs) != 1 || recs[0].Ingress != events.IngressKafka || recs[0].SourceEventID != "e1" ||
		recs[0].CreatedAt != "2025-01-01T00:00:02Z" || recs[0].Actor() != "worldservice" {
		t.Fatalf("recorded %+v", recs)
	}
	// Redelivery (the same or a re-published message): a dedupe hit.
	for _, id := range []string{"e1", "e1-republished"} {
		if dup, err := hub.HandleCommand(ctx, kafkaSnapshot(id, valid)); err != nil || !dup {
			t.Fatalf("redelivery %s: dup %v, %v", id, dup, err)
		}
	}
	// Permanent failures carry a 4xx code, for the dead letter.
	for _, tc := range []struct {
		name, data string
		code       errcode.Code
		message    string
	}{
		{"conflict", strings.Replace(valid, `"ttl_sec":120`, `"ttl_sec":121`, 1), errcode.SnapshotVersionConflict, "snapshot version collision for world_id=w version=k1"},
		{"no actor", `{"as_of":"2025-01-01T00:00:00Z","version":"k2","weights":{"s1":1.0}}`, errcode.SnapshotInvalid, "actor is required"},
		{"unknown field", strings.Replace(valid, `"version":"k1"`, `"version":"k3","source":"x"`, 1), errcode.SnapshotInvalid, "unknown field source"},
		{"hash mismatch", strings.Replace(valid, `"version":"k1"`, `"version":"k4","hash":"sha256:00"`, 1), errcode.SnapshotHashMismatch, "hash mismatch"},
		{"NaN", strings.Replace(valid, `"weights":{"s1":1.0}`, `"weights":{"s1":NaN}`, 1), errcode.SnapshotInvalid, "weights must be numeric"},
	} {
		_, err := hub.HandleCommand(ctx, kafkaSnapshot("bad-"+tc.name, tc.data))
		e, ok := errcode.From(err)
		if !ok || e.Code != tc.code || e.Message != tc.message || e.HTTPStatus() >= 500 || e.Code == errcode.Conflict {
			t.Errorf("%s: %v, want %s %q", tc.name, err, tc.code, tc.message)
		}
	}
	// Expired on arrival: dropped without a dead letter, and counted.
	h.clock.Set(hubT0.Add(time.Hour))
	expired := strings.Replace(valid, `"version":"k1"`, `"version":"old"`, 1)
	if dup, err := hub.HandleCommand(ctx, kafkaSnapshot("e-old", expired)); err != nil || !dup {
		t.Fatalf("expired: dup %v, %v", dup, err)
	}
	if n := len(h.recorded("w")); n != 1 {
		t.Fatalf("%d events after the failures", n)
	}
	metrics := string(h.get("/metrics").body)
	for _, want := range []string{
		`risk_hub_snapshot_processed_total{stage="live",world_id="w"} 1`,
		`risk_hub_snapshot_dedupe_total{stage="live",world_id="w"} 2`,
		`risk_hub_snapshot_expired_total{stage="live",world_id="w"} 1`,
		`risk_hub_snapshot_failed_total{stage="live",world_id="w"} 4`,    // conflict, unknown field, hash, NaN
		`risk_hub_snapshot_failed_total{stage="unknown",world_id="w"} 1`, // no provenance at all
		`risk_hub_snapshot_processing_latency_seconds_count{stage="live",world_id="w"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines([]byte(metrics), "risk_hub_snapshot"))
		}
	}
	// The HTTP reads see the Kafka snapshot.
	h.clock.Set(hubT0.Add(10 * time.Second))
	if v := h.get("/risk-hub/worlds/w/snapshots/latest?stage=live").view(t); v.Version != "k1" || v.CreatedAt != "2025-01-01T00:00:02Z" {
		t.Fatalf("latest %+v", v)
	}
	h.get("/risk-hub/worlds/w/snapshots/latest?stage=paper").hubError(t, http.StatusNotFound, "E_SNAPSHOT_NOT_FOUND", "snapshot not found")
}
