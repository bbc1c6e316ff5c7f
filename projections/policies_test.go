package projections_test

import (
	"errors"
	"testing"
	"time"

	"github.com/worldval/worldval/projections"
)

func TestPoliciesPerWorld(t *testing.T) {
	f := newFixture(t)
	f.publish("w1", 1, `{"thresholds":{"sharpe":{"metric":"returns.sharpe","min":0.5}}}`, t0.Add(time.Minute))
	f.publish("w2", 1, `{"other":true}`, t0.Add(2*time.Minute))
	f.publish("w1", 2, `{"thresholds":{"sharpe":{"metric":"returns.sharpe","min":0.7}}}`, t0.Add(3*time.Minute))
	ps := newProjections(t, f.reg)
	ps.applyEach(t, f.all())

	w, err := ps.policies.World(f.ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "w1 after two publications", w, `{"world_id":"w1","default_version":1,"versions":[
	  {"version":1,"checksum":"sha256:01","ruleset_hash":{"live":"blake3:l","paper":"blake3:p"},"published_by":"risk-lead","published_at":"2026-03-02T09:01:00Z","default":true},
	  {"version":2,"checksum":"sha256:02","ruleset_hash":{"live":"blake3:l","paper":"blake3:p"},"published_by":"risk-lead","published_at":"2026-03-02T09:03:00Z","default":false}]}`)

	f.setDefault("w1", 2, 1, t0.Add(4*time.Minute))
	ps.applyBatch(t, f.all())
	v2, err := ps.policies.Default(f.ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "w1 default", v2, `{"world_id":"w1","version":2,"checksum":"sha256:02","ruleset_hash":{"live":"blake3:l","paper":"blake3:p"},
	  "published_by":"risk-lead","published_at":"2026-03-02T09:03:00Z","default":true,
	  "policy":{"thresholds":{"sharpe":{"metric":"returns.sharpe","min":0.7}}}}`)
	v1, err := ps.policies.Version(f.ctx, "w1", 1)
	if err != nil || v1.Default || string(v1.Policy) != `{"thresholds":{"sharpe":{"metric":"returns.sharpe","min":0.5}}}` {
		t.Fatalf("w1 v1: %+v, %v", v1, err)
	}
	if w2, err := ps.policies.World(f.ctx, "w2"); err != nil || len(w2.Versions) != 1 || w2.DefaultVersion != 1 {
		t.Fatalf("w2: %+v, %v", w2, err)
	}
	for _, q := range []struct {
		world   string
		version int
	}{{"w1", 3}, {"w1", 0}, {"w9", 1}} {
		if _, err := ps.policies.Version(f.ctx, q.world, q.version); !errors.Is(err, projections.ErrNotFound) {
			t.Errorf("%s v%d: %v, want ErrNotFound", q.world, q.version, err)
		}
	}
	if _, err := ps.policies.World(f.ctx, "w9"); !errors.Is(err, projections.ErrNotFound) {
		t.Errorf("unknown world: %v, want ErrNotFound", err)
	}
}
