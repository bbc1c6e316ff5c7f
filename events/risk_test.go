package events_test

import (
	"reflect"
	"testing"

	"github.com/worldval/worldval/events"
)

func TestRiskSnapshotRecordedRoundTrip(t *testing.T) {
	reg := events.Catalogue()
	for _, payload := range []string{
		`{"world_id":"w","version":"v1","as_of":"2025-01-01T00:00:00Z","as_of_instant":"2025-01-01T00:00:00Z","hash":"sha256:00","created_at":"2025-01-01T00:00:05Z","ttl_sec":900,"expires_at":"2025-01-01T00:15:05Z","weights":{"a":0.5,"b":0.5},"covariance":{"a,a":0.04},"realized_returns":{"a":[0.01,-0.02]},"stress":{"crash":{"max_drawdown":0.3}},"constraints":{"max_leverage":2},"provenance":{"actor":"gateway","stage":"paper"},"ingress":"http","offloaded":{"covariance":false,"realized_returns":false,"stress":false}}`,
		`{"world_id":"w","version":"v2","as_of":"2025-01-01T00:00:00Z","as_of_instant":"2025-01-01T00:00:00Z","hash":"sha256:00","created_at":"2025-01-01T00:00:05Z","ttl_sec":1,"expires_at":"2025-01-01T00:00:06Z","weights":{"a":1},"covariance_ref":"file://x","realized_returns":[0.01,0.02],"provenance":{"actor":"a","stage":"live","source":"x"},"ingress":"kafka","source_event_id":"e1","offloaded":{"covariance":true,"realized_returns":false,"stress":false}}`,
	} {
		ev := events.Event{ID: events.IDFromKey("k"), Type: events.TypeRiskSnapshotRecorded, SchemaVersion: 1, Payload: []byte(payload)}
		p, err := events.DecodeAs[events.RiskSnapshotRecorded](reg, &ev)
		if err != nil {
			t.Fatalf("decode %s: %v", payload, err)
		}
		if p.Actor() == "" || p.Stage() == "" {
			t.Fatalf("provenance accessors: %q %q", p.Actor(), p.Stage())
		}
		again, err := reg.New(p, events.Meta{IdempotencyKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		q, err := events.DecodeAs[events.RiskSnapshotRecorded](reg, &again)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip: %+v then %+v (%v)", p, q, err)
		}
	}
}

func TestRealizedReturnsFor(t *testing.T) {
	by := &events.RealizedReturns{ByStrategy: map[string][]float64{"s1": {1}, "returns": {2}}}
	if got := by.For("s1"); len(got) != 1 || got[0] != 1 {
		t.Fatalf("For(s1) = %v", got)
	}
	if got := by.For("s2"); len(got) != 1 || got[0] != 2 {
		t.Fatalf("For(s2) = %v, want the returns fallback", got)
	}
	if by.Points() != 2 {
		t.Fatalf("Points = %d", by.Points())
	}
	legacy := &events.RealizedReturns{Series: []float64{1, 2, 3}}
	if got := legacy.For("any"); len(got) != 3 || legacy.Points() != 3 {
		t.Fatalf("legacy For = %v, Points = %d", got, legacy.Points())
	}
	var none *events.RealizedReturns
	if none.For("s") != nil || none.Points() != 0 {
		t.Fatal("nil realized returns")
	}
}

func TestRiskStreamsAndKeys(t *testing.T) {
	for _, tc := range []struct {
		got  func() (string, error)
		want string
	}{
		{func() (string, error) { return events.CohortStream("w", "paper") }, "cohort/w/paper"},
		{func() (string, error) { return events.CampaignStream("w", "c/1") }, "campaign/w/c%2F1"},
		{func() (string, error) { return events.LiveMonitoringStream("w") }, "live-monitoring/w"},
		{func() (string, error) { return events.ExitSignalStream("w") }, "exit-signal/w"},
	} {
		if s, err := tc.got(); err != nil || s != tc.want {
			t.Fatalf("stream = %q, %v; want %q", s, err, tc.want)
		}
	}
	if k := events.RiskSnapshotKey("w", "v1", "sha256:ab"); k != "risk_snapshot:w:v1:sha256:ab" {
		t.Fatal(k)
	}
	if k := events.ExitSignalKey("w", "*", "sha256:ab", "var_limit"); k != "exit_signal:w:*:sha256:ab:var_limit" {
		t.Fatal(k)
	}
	if k := events.LiveMonitoringKey("w", "2025-01-01T00:00:00Z", 3); k != "live_monitoring:w:2025-01-01T00:00:00Z:3" {
		t.Fatal(k)
	}
	if k := events.DemotionKey("w", "s", "t"); k != "demotion:w:s:t" {
		t.Fatal(k)
	}
}
