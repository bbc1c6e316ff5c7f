package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
)

// fakePublisher records what the outbox publishes and flushes.
type fakePublisher struct {
	msgs     []OutboxMessage
	flushes  int
	flushErr error
}

func (p *fakePublisher) Publish(_ context.Context, msg OutboxMessage) error {
	p.msgs = append(p.msgs, msg)
	return nil
}

func (p *fakePublisher) Flush(context.Context) error {
	p.flushes++
	return p.flushErr
}

// outboxHistory fills f's store with a world's policy (published, made the
// default again), one evaluated run and an override of it.
func outboxHistory(t *testing.T, f *fixture) {
	t.Helper()
	f.publish(t, "w1", testPolicy)
	stream, _ := events.PolicyStream("w1")
	_, err := aggregates.Update(f.ctx, f.repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
		return p.Publish(f.reg, worldpolicy.Publish{Meta: events.Meta{IdempotencyKey: "pub2", OccurredAt: fixedNow}, WorldID: "w1", Policy: []byte(testPolicy)})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = aggregates.Update(f.ctx, f.repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
		return p.SetDefault(f.reg, worldpolicy.SetDefault{Meta: events.Meta{IdempotencyKey: "def2", OccurredAt: fixedNow}, Version: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s/1", RunID: "r1", Stage: "backtest", RiskTier: "low", Returns: ptrs(appendixB)})
	ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Handle(f.ctx, sub); err != nil {
		t.Fatal(err)
	}
	_, err = aggregates.Update(f.ctx, f.repo, sub.Stream, func(r *evaluationrun.Run) ([]events.Event, error) {
		return r.RecordOverride(f.reg, evaluationrun.RecordOverride{
			Meta:   events.Meta{IdempotencyKey: "ov1", OccurredAt: fixedNow},
			Status: "approved", Reason: "desk needs it", Actor: "alice", Timestamp: "2026-03-01T12:00:00Z",
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// relayAll hands every stored event to the outbox.
func relayAll(t *testing.T, f *fixture, o *Outbox) {
	t.Helper()
	recs, err := f.store.ReadAll(f.ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if err := o.Handle(f.ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOutboxPublishesWireEvents(t *testing.T) {
	f := newFixture(t)
	outboxHistory(t, f)
	pub := &fakePublisher{}
	o, err := NewOutbox(f.store, f.reg, pub, "worldval")
	if err != nil {
		t.Fatal(err)
	}
	relayAll(t, f, o)

	var got []string
	for _, m := range pub.msgs {
		ev, err := cloudevents.Parse(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			WorldID          string `json:"world_id"`
			StrategyID       string `json:"strategy_id"`
			RunID            string `json:"run_id"`
			Stage            string `json:"stage"`
			RiskTier         string `json:"risk_tier"`
			Status           string `json:"status"`
			RecommendedStage string `json:"recommended_stage"`
			ChangeType       string `json:"change_type"`
			IdempotencyKey   string `json:"idempotency_key"`
			Version          int    `json:"version"`
			PolicyVersion    int    `json:"policy_version"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		if m.Key != "w1" || d.WorldID != "w1" || ev.Subject != "w1" || ev.Source != "worldval" || ev.ID != m.ID || ev.Type != m.Type {
			t.Errorf("%s: key %q, event %+v", m.Type, m.Key, ev)
		}
		got = append(got, ev.Type+" "+d.IdempotencyKey+" "+ev.Correlation())
		switch ev.Type {
		case cloudevents.TypeEvaluationRunCreated:
			if d.Stage != "backtest" || d.RiskTier != "low" || d.Status == "" || d.RecommendedStage == "" || d.Version != 1 {
				t.Errorf("created: %+v", d)
			}
		case cloudevents.TypeEvaluationRunUpdated:
			// Revisions: 1 the submission, 2 the evaluation (one append of
			// several events), 3 the override.
			if d.ChangeType != cloudevents.ChangeOverride || d.Version != 3 || d.Status == "" {
				t.Errorf("updated: %+v", d)
			}
		}
	}
	want := []string{
		"policy_updated policy_updated:w1:1:" + checksumOf(t, f, 1) + ":1 policy:w1:1",
		"validation_profile_changed validation_profile_changed:w1:1:1 validation_profile:w1:1",
		"policy_updated policy_updated:w1:2:" + checksumOf(t, f, 2) + ":1 policy:w1:2",
		"validation_profile_changed validation_profile_changed:w1:2:1 validation_profile:w1:2",
		"evaluation_run_created evaluation_run_created:w1:s/1:r1:1 evaluation_run:w1:s/1:r1",
		"evaluation_run_updated evaluation_run_updated:w1:s/1:r1:override:3 evaluation_run:w1:s/1:r1",
	}
	if len(got) != len(want) {
		t.Fatalf("published\n%q\nwant\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// checksumOf returns the checksum of a world w1 policy version.
func checksumOf(t *testing.T, f *fixture, version int) string {
	t.Helper()
	stream, _ := events.PolicyStream("w1")
	recs, err := f.store.ReadStream(f.ctx, stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if recs[i].Type != events.TypePolicyPublished {
			continue
		}
		p, err := events.DecodeAs[events.PolicyPublished](f.reg, &recs[i].Event)
		if err != nil {
			t.Fatal(err)
		}
		if p.PolicyVersion == version {
			return p.Checksum
		}
	}
	t.Fatalf("no policy version %d", version)
	return ""
}

func TestOutboxCheckpointsFlushFirst(t *testing.T) {
	f := newFixture(t)
	pub := &fakePublisher{}
	o, err := NewOutbox(f.store, f.reg, pub, "worldval")
	if err != nil {
		t.Fatal(err)
	}
	cps := o.Checkpoints(f.store)
	if err := cps.SaveCheckpoint(f.ctx, OutboxName, 7); err != nil || pub.flushes != 1 {
		t.Fatalf("save: %v after %d flushes", err, pub.flushes)
	}
	pub.flushErr = errors.New("broker down")
	if err := cps.SaveCheckpoint(f.ctx, OutboxName, 9); !errors.Is(err, pub.flushErr) {
		t.Fatalf("save after a failed flush: %v", err)
	}
	if pos, err := cps.Checkpoint(f.ctx, OutboxName); err != nil || pos != 7 {
		t.Fatalf("checkpoint %d, %v: a failed flush must not move it", pos, err)
	}
}

func TestNewOutboxRefusesNil(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"store", func() error { _, err := NewOutbox(nil, f.reg, &fakePublisher{}, "s"); return err }},
		{"registry", func() error { _, err := NewOutbox(f.store, nil, &fakePublisher{}, "s"); return err }},
		{"publisher", func() error { _, err := NewOutbox(f.store, f.reg, nil, "s"); return err }},
		{"source", func() error { _, err := NewOutbox(f.store, f.reg, &fakePublisher{}, ""); return err }},
	} {
		if tc.err() == nil {
			t.Errorf("nil %s accepted", tc.name)
		}
	}
}
