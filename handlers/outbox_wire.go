package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
)

// wireEvent is the wire form of one domain event: its CloudEvents type, its
// world (the Kafka key), its correlation id and its data.
type wireEvent struct {
	typ, world, correlation string
	data                    json.RawMessage
}

// wire maps rec to its integration event (risk-hub §4.3 and §8.3,
// validation-core §14), with QMTL's data layout, idempotency keys and
// correlation ids:
//
//	EvaluationCompleted          → evaluation_run_created
//	OverrideRecorded             → evaluation_run_updated, change_type override
//	ExPostFailureRecorded        → evaluation_run_updated, change_type ex_post_failure
//	ExtendedValidationCompleted  → evaluation_run_updated, change_type extended_validation
//	PolicyPublished              → policy_updated
//	DefaultPolicySet             → validation_profile_changed
//	RiskSnapshotRecorded         → risk_snapshot_updated
//	ExitSignalEmitted            → exit_signal_emitted
//
// Every other event has no wire form (false).
func (o *Outbox) wire(ctx context.Context, rec events.Record) (wireEvent, bool, error) {
	var w wireEvent
	var err error
	switch rec.Type {
	case events.TypeEvaluationCompleted:
		w, err = o.runCreated(ctx, rec)
	case events.TypeOverrideRecorded:
		w, err = o.runUpdated(ctx, rec, cloudevents.ChangeOverride)
	case events.TypeExPostFailureRecorded:
		w, err = o.runUpdated(ctx, rec, cloudevents.ChangeExPostFailure)
	case events.TypeExtendedValidationCompleted:
		w, err = o.runUpdated(ctx, rec, cloudevents.ChangeExtendedValidation)
	case events.TypePolicyPublished:
		w, err = o.policyUpdated(rec)
	case events.TypeDefaultPolicySet:
		w, err = o.profileChanged(rec)
	case events.TypeRiskSnapshotRecorded:
		w, err = o.snapshotUpdated(rec)
	case events.TypeExitSignalEmitted:
		w, err = o.exitSignal(rec)
	default:
		return wireEvent{}, false, nil
	}
	if err != nil {
		return wireEvent{}, false, fmt.Errorf("outbox: event %s (%s) at position %d: %w", rec.ID, rec.Type, rec.GlobalPosition, err)
	}
	return w, true, nil
}

// runData is the data of evaluation_run_created and evaluation_run_updated.
type runData struct {
	WorldID          string `json:"world_id"`
	StrategyID       string `json:"strategy_id"`
	RunID            string `json:"run_id"`
	Stage            string `json:"stage"`
	Version          int    `json:"version"`
	RiskTier         string `json:"risk_tier,omitempty"`
	Status           string `json:"status,omitempty"`
	RecommendedStage string `json:"recommended_stage,omitempty"`
	ChangeType       string `json:"change_type,omitempty"`
	IdempotencyKey   string `json:"idempotency_key"`
}

// runCreated maps an EvaluationCompleted: the run's identity and stage from
// its submission, the verdict from the event; version 1.
func (o *Outbox) runCreated(ctx context.Context, rec events.Record) (wireEvent, error) {
	done, err := events.DecodeAs[events.EvaluationCompleted](o.reg, &rec.Event)
	if err != nil {
		return wireEvent{}, err
	}
	recs, err := o.store.ReadStream(ctx, rec.Stream, 1, 1)
	if err != nil {
		return wireEvent{}, fmt.Errorf("read the submission of %s: %w", rec.Stream, err)
	}
	sub, err := submissionOf(o.reg, recs)
	if err != nil {
		return wireEvent{}, err
	}
	d := runData{
		WorldID: sub.WorldID, StrategyID: sub.StrategyID, RunID: sub.RunID, Stage: sub.Stage, Version: 1,
		RiskTier: sub.RiskTier, Status: done.Status, RecommendedStage: done.RecommendedStage,
	}
	d.IdempotencyKey = fmt.Sprintf("%s:%s:%s:%s:%d", cloudevents.TypeEvaluationRunCreated, d.WorldID, d.StrategyID, d.RunID, d.Version)
	return runWire(cloudevents.TypeEvaluationRunCreated, d)
}

// runUpdated maps a change of a run: version is the run's history revision
// as of the event (the numbering of GET …/runs/{run}/history), status and
// recommended stage the verdict recorded before it, if any.
func (o *Outbox) runUpdated(ctx context.Context, rec events.Record, change string) (wireEvent, error) {
	recs, err := o.store.ReadStream(ctx, rec.Stream, 1, int(min(rec.StreamVersion, 1<<30)))
	if err != nil {
		return wireEvent{}, fmt.Errorf("read %s: %w", rec.Stream, err)
	}
	sub, err := submissionOf(o.reg, recs)
	if err != nil {
		return wireEvent{}, err
	}
	d := runData{
		WorldID: sub.WorldID, StrategyID: sub.StrategyID, RunID: sub.RunID, Stage: sub.Stage,
		Version: revisionAt(recs), RiskTier: sub.RiskTier, ChangeType: change,
	}
	for i := range recs {
		if recs[i].Type != events.TypeEvaluationCompleted {
			continue
		}
		done, err := events.DecodeAs[events.EvaluationCompleted](o.reg, &recs[i].Event)
		if err != nil {
			return wireEvent{}, err
		}
		d.Status, d.RecommendedStage = done.Status, done.RecommendedStage
	}
	d.IdempotencyKey = fmt.Sprintf("%s:%s:%s:%s:%s:%d", cloudevents.TypeEvaluationRunUpdated, d.WorldID, d.StrategyID, d.RunID, change, d.Version)
	return runWire(cloudevents.TypeEvaluationRunUpdated, d)
}

// runWire encodes run data with the run's correlation id.
func runWire(typ string, d runData) (wireEvent, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return wireEvent{}, err
	}
	return wireEvent{typ: typ, world: d.WorldID, correlation: "evaluation_run:" + d.WorldID + ":" + d.StrategyID + ":" + d.RunID, data: data}, nil
}

// submissionOf decodes the submission that opens a run stream.
func submissionOf(reg *events.Registry, recs []events.Record) (*events.EvaluationRunSubmitted, error) {
	if len(recs) == 0 || recs[0].Type != events.TypeEvaluationRunSubmitted {
		return nil, fmt.Errorf("run stream does not open with %s", events.TypeEvaluationRunSubmitted)
	}
	return events.DecodeAs[events.EvaluationRunSubmitted](reg, &recs[0].Event)
}

// revisionAt counts the history revisions of a run stream prefix the way the
// run history read model does: each append of the stream opens a revision,
// and the events of one append (consecutive, same idempotency key, same
// recording time) share it — the evaluation's MetricsComputed, RuleEvaluated
// and EvaluationCompleted are one revision.
func revisionAt(recs []events.Record) int {
	rev := 0
	for i := range recs {
		r, same := &recs[i], false
		if i > 0 {
			p := &recs[i-1]
			same = r.IdempotencyKey != "" && r.IdempotencyKey == p.IdempotencyKey &&
				r.StreamVersion == p.StreamVersion+1 && r.RecordedAt.Equal(p.RecordedAt)
		}
		if !same {
			rev++
		}
	}
	return rev
}

// policyData is the data of policy_updated.
type policyData struct {
	WorldID        string `json:"world_id"`
	PolicyVersion  int    `json:"policy_version"`
	Checksum       string `json:"checksum"`
	Status         string `json:"status"`
	TS             string `json:"ts"`
	Version        int    `json:"version"`
	IdempotencyKey string `json:"idempotency_key"`
}

// policyUpdated maps a PolicyPublished.
func (o *Outbox) policyUpdated(rec events.Record) (wireEvent, error) {
	p, err := events.DecodeAs[events.PolicyPublished](o.reg, &rec.Event)
	if err != nil {
		return wireEvent{}, err
	}
	d := policyData{
		WorldID: p.WorldID, PolicyVersion: p.PolicyVersion, Checksum: p.Checksum, Status: "published",
		TS: eventTime(rec).UTC().Format(time.RFC3339), Version: 1,
	}
	d.IdempotencyKey = fmt.Sprintf("%s:%s:%d:%s:%d", cloudevents.TypePolicyUpdated, d.WorldID, d.PolicyVersion, d.Checksum, d.Version)
	data, err := json.Marshal(d)
	if err != nil {
		return wireEvent{}, err
	}
	return wireEvent{typ: cloudevents.TypePolicyUpdated, world: d.WorldID, correlation: "policy:" + d.WorldID + ":" + strconv.Itoa(d.PolicyVersion), data: data}, nil
}

// profileData is the data of validation_profile_changed.
type profileData struct {
	WorldID        string `json:"world_id"`
	PolicyVersion  int    `json:"policy_version"`
	Version        int    `json:"version"`
	IdempotencyKey string `json:"idempotency_key"`
}

// profileChanged maps a DefaultPolicySet.
func (o *Outbox) profileChanged(rec events.Record) (wireEvent, error) {
	p, err := events.DecodeAs[events.DefaultPolicySet](o.reg, &rec.Event)
	if err != nil {
		return wireEvent{}, err
	}
	d := profileData{WorldID: p.WorldID, PolicyVersion: p.PolicyVersion, Version: 1}
	d.IdempotencyKey = fmt.Sprintf("%s:%s:%d:%d", cloudevents.TypeValidationProfileChanged, d.WorldID, d.PolicyVersion, d.Version)
	data, err := json.Marshal(d)
	if err != nil {
		return wireEvent{}, err
	}
	return wireEvent{typ: cloudevents.TypeValidationProfileChanged, world: d.WorldID, correlation: "validation_profile:" + d.WorldID + ":" + strconv.Itoa(d.PolicyVersion), data: data}, nil
}

// snapshotUpdated maps a RiskSnapshotRecorded: the recorded snapshot with
// world_id, event_version 1 and its idempotency key mixed into the body, as
// QMTL publishes it.
func (o *Outbox) snapshotUpdated(rec events.Record) (wireEvent, error) {
	p, err := events.DecodeAs[events.RiskSnapshotRecorded](o.reg, &rec.Event)
	if err != nil {
		return wireEvent{}, err
	}
	const eventVersion = 1
	data, err := withMembers(p, map[string]any{
		"event_version":   eventVersion,
		"idempotency_key": fmt.Sprintf("%s:%s:%s:%d", cloudevents.TypeRiskSnapshotUpdated, p.WorldID, p.Hash, eventVersion),
	})
	if err != nil {
		return wireEvent{}, err
	}
	return wireEvent{typ: cloudevents.TypeRiskSnapshotUpdated, world: p.WorldID, correlation: "risk_snapshot:" + p.WorldID + ":" + p.Hash, data: data}, nil
}

// exitSignal maps an ExitSignalEmitted: the signal with version 1 and the
// event's idempotency key.
func (o *Outbox) exitSignal(rec events.Record) (wireEvent, error) {
	p, err := events.DecodeAs[events.ExitSignalEmitted](o.reg, &rec.Event)
	if err != nil {
		return wireEvent{}, err
	}
	data, err := withMembers(p, map[string]any{"version": 1, "idempotency_key": rec.IdempotencyKey})
	if err != nil {
		return wireEvent{}, err
	}
	return wireEvent{typ: cloudevents.TypeExitSignalEmitted, world: p.WorldID, correlation: "exit_signal:" + p.WorldID + ":" + p.SignalID, data: data}, nil
}

// withMembers encodes payload as a JSON object with extra members added
// (encoding/json sorts map keys, so the output is deterministic).
func withMembers(payload any, extra map[string]any) (json.RawMessage, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for k, v := range extra {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		m[k] = b
	}
	return json.Marshal(m)
}

// eventTime is when rec happened: its occurred_at, else its recorded_at.
func eventTime(rec events.Record) time.Time {
	if !rec.OccurredAt.IsZero() {
		return rec.OccurredAt
	}
	return rec.RecordedAt
}
