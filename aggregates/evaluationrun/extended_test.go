package evaluationrun_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
)

func extendedCmd(trigger, patch string) evaluationrun.RecordExtended {
	return evaluationrun.RecordExtended{
		Meta: events.Meta{IdempotencyKey: evaluationrun.ExtendedKey("w1", "s1", "run-1", trigger), OccurredAt: t0.Add(3 * time.Hour), Actor: "extended_validation"},
		Result: events.ExtendedValidationCompleted{
			EvaluatedAt: "2026-02-01T13:00:00Z", Stage: "paper", Trigger: json.RawMessage(`{"event_type":"RiskSnapshotRecorded","idempotency_key":"` + trigger + `"}`),
			PolicyVersion: 1, MetricsPatch: json.RawMessage(patch), Results: json.RawMessage(`{"portfolio":{"status":"pass"}}`),
		},
	}
}

func TestRecordExtended(t *testing.T) {
	reg := events.Catalogue()
	history, run := evaluatedRun(t, reg, "paper")
	first := must(t)(run.RecordExtended(reg, extendedCmd("risk_snapshot_updated:w1:sha256:aa:1", `{"risk":{"incremental_var_99":0.01}}`)))
	if len(first) != 1 || first[0].ID != events.IDFromKey("extended:w1:s1:run-1:risk_snapshot_updated:w1:sha256:aa:1") {
		t.Fatalf("events %+v", first)
	}
	p, err := events.DecodeAs[events.ExtendedValidationCompleted](reg, &first[0])
	if err != nil {
		t.Fatal(err)
	}
	if p.ExtendedRevision != 1 {
		t.Fatalf("revision %d", p.ExtendedRevision)
	}
	history = append(history, first...)
	after := given(t, reg, history)
	if after.ExtendedRevision != 1 || after.Revisions != 3 || len(after.ExtendedPatches) != 1 || after.Derivations[0] != "core" {
		t.Fatalf("folded %+v", after)
	}
	// The same trigger again: nothing. Another trigger: revision 2.
	if again := must(t)(after.RecordExtended(reg, extendedCmd("risk_snapshot_updated:w1:sha256:aa:1", `{}`))); len(again) != 0 {
		t.Fatal("a re-delivered trigger recorded again")
	}
	second := must(t)(after.RecordExtended(reg, extendedCmd("validation_profile_changed:w1:2:1", `{"risk":{"incremental_var_99":null}}`)))
	p, _ = events.DecodeAs[events.ExtendedValidationCompleted](reg, &second[0])
	if p.ExtendedRevision != 2 {
		t.Fatalf("second revision %d", p.ExtendedRevision)
	}

	bad := extendedCmd("k", `{}`)
	bad.Result.Results = json.RawMessage(`[]`)
	if _, err := after.RecordExtended(reg, bad); errcode.CodeOf(err) != errcode.Validation {
		t.Fatalf("results not an object: %v", err)
	}
	var empty evaluationrun.Run
	pending := given(t, reg, must(t)(empty.Submit(reg, submitCmd("sub-1", request()))))
	if _, err := pending.RecordExtended(reg, extendedCmd("k", `{}`)); errcode.CodeOf(err) != errcode.RunNotEvaluated {
		t.Fatalf("pending run: %v", err)
	}
	if _, err := empty.RecordExtended(reg, extendedCmd("k", `{}`)); errcode.CodeOf(err) != errcode.RunNotFound {
		t.Fatalf("unknown run: %v", err)
	}
}
