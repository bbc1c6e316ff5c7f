package handlers

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/extended"
)

// nopPublisher accepts every message.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, OutboxMessage) error { return nil }
func (nopPublisher) Flush(context.Context) error                  { return nil }

// TestExitSignalsOnTheirTopic: the outbox publishes an exit signal as
// exit_signal_emitted, with its idempotency key in the data, on the exit
// signals topic; every other integration event stays on the events topic.
func TestExitSignalsOnTheirTopic(t *testing.T) {
	f := newXFix(t)
	varMax := 0.03
	f.exit(t, ExitConfig{Rules: extended.ExitRules{VaR99Max: &varMax}})
	f.publish(t, "w", livePolicy)
	f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: twoAssetCov()})
	f.pump(t)
	o, err := NewOutbox(f.store, f.reg, nopPublisher{}, "worldval", WithExitSignalTopic("worldval.exit-signals"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := f.store.ReadAll(f.ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	signals := 0
	for _, rec := range recs {
		msg, ok, err := o.Message(f.ctx, rec)
		if err != nil || !ok {
			continue
		}
		if rec.Type != events.TypeExitSignalEmitted {
			if msg.Topic != "" {
				t.Errorf("%s published on %q, not the events topic", rec.Type, msg.Topic)
			}
			continue
		}
		signals++
		var ce struct {
			Type string `json:"type"`
			Data struct {
				IdempotencyKey string `json:"idempotency_key"`
				RuleID         string `json:"rule_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(msg.Value, &ce); err != nil {
			t.Fatal(err)
		}
		if msg.Topic != "worldval.exit-signals" || msg.Type != "exit_signal_emitted" || msg.Key != "w" ||
			ce.Data.IdempotencyKey != rec.IdempotencyKey || ce.Data.RuleID != extended.ExitRuleVaR {
			t.Errorf("exit signal message %+v, data %+v", msg, ce)
		}
	}
	if signals != 1 {
		t.Fatalf("%d exit signals published, want 1", signals)
	}
}
