package handlers

import (
	"context"
	"fmt"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// Trigger kinds of the extended validation (spec §4.5, §8.5).
const (
	// scopeRun re-validates the run whose stream carries the trigger.
	scopeRun = iota + 1
	// scopeWorld re-validates the latest run per strategy of every stage
	// of the trigger's world.
	scopeWorld
)

// triggerScope returns how far an event reaches: EvaluationCompleted,
// OverrideRecorded and ExPostFailureRecorded target their run;
// RiskSnapshotRecorded and DefaultPolicySet the whole world. Every other
// event — ExtendedValidationCompleted in particular, the handler's own
// output (loop guard) — triggers nothing (0).
func triggerScope(eventType string) int {
	switch eventType {
	case events.TypeEvaluationCompleted, events.TypeOverrideRecorded, events.TypeExPostFailureRecorded:
		return scopeRun
	case events.TypeRiskSnapshotRecorded, events.TypeDefaultPolicySet:
		return scopeWorld
	}
	return 0
}

// triggerKey returns the idempotency key of a trigger: the key of the
// integration event the outbox publishes for it (risk-hub §4.3), so that a
// pass is deduplicated by the same key a QMTL consumer would use.
//
//	EvaluationCompleted    evaluation_run_created:{w}:{s}:{r}:1
//	OverrideRecorded       evaluation_run_updated:{w}:{s}:{r}:override:{revision}
//	ExPostFailureRecorded  evaluation_run_updated:{w}:{s}:{r}:ex_post_failure:{revision}
//	DefaultPolicySet       validation_profile_changed:{w}:{policy_version}:1
//	RiskSnapshotRecorded   risk_snapshot_updated:{w}:{hash}:1
//
// The revision is the run's history revision as of the event, counted as
// the run history does: one per append.
func triggerKey(ctx context.Context, store eventstore.Store, reg *events.Registry, rec *events.Record) (string, error) {
	switch rec.Type {
	case events.TypeRiskSnapshotRecorded:
		p, err := events.DecodeAs[events.RiskSnapshotRecorded](reg, &rec.Event)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("risk_snapshot_updated:%s:%s:1", p.WorldID, p.Hash), nil
	case events.TypeDefaultPolicySet:
		p, err := events.DecodeAs[events.DefaultPolicySet](reg, &rec.Event)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("validation_profile_changed:%s:%d:1", p.WorldID, p.PolicyVersion), nil
	}
	_, ids, err := events.ParseStream(rec.Stream)
	if err != nil || len(ids) != 3 {
		return "", fmt.Errorf("trigger %s on stream %q: not a run stream", rec.Type, rec.Stream)
	}
	w, s, r := ids[0], ids[1], ids[2]
	if rec.Type == events.TypeEvaluationCompleted {
		return fmt.Sprintf("evaluation_run_created:%s:%s:%s:1", w, s, r), nil
	}
	change := "override"
	if rec.Type == events.TypeExPostFailureRecorded {
		change = "ex_post_failure"
	}
	recs, err := store.ReadStream(ctx, rec.Stream, 1, int(min(rec.StreamVersion, 1<<30)))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", rec.Stream, err)
	}
	return fmt.Sprintf("evaluation_run_updated:%s:%s:%s:%s:%d", w, s, r, change, revisionOf(recs)), nil
}

// revisionOf counts the history revisions of a run stream prefix: each
// append opens one, and the events of one append (consecutive, same
// idempotency key, same recording time) share it.
func revisionOf(recs []events.Record) int {
	rev := 0
	for i := range recs {
		same := false
		if i > 0 {
			r, p := &recs[i], &recs[i-1]
			same = r.IdempotencyKey != "" && r.IdempotencyKey == p.IdempotencyKey &&
				r.StreamVersion == p.StreamVersion+1 && r.RecordedAt.Equal(p.RecordedAt)
		}
		if !same {
			rev++
		}
	}
	return rev
}
