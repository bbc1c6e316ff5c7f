package report

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

// generatedAt is the fixed generation time of the test reports.
var generatedAt = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

// fixture evaluates a run file of the regression set under its policy with
// the service's pipeline and builds, from the outcome, the history a
// service would have recorded: submission, verdict, an approved override
// and an ex-post failure, plus a model card in the registry's spelling with
// some of the report generator's keys.
func fixture(t testing.TB, file string) Input {
	t.Helper()
	data, err := os.ReadFile("../../testdata/bad-strategies/" + file)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := evaluation.DecodeRunFile(data)
	if err != nil {
		t.Fatal(err)
	}
	pdata, err := os.ReadFile("../../testdata/bad-strategies/policy.yml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(pdata)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := policy.Resolve(nil, p, 3)
	out, err := evaluation.Evaluate(res, evaluation.Request{WorldID: "demo", StrategyID: rf.StrategyID, RunID: rf.RunID, Stage: rf.Stage,
		Metrics: rf.Metrics, Returns: rf.Returns, HasReturns: rf.HasReturns, Params: rf.Params})
	if err != nil {
		t.Fatal(err)
	}
	mustJSON := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var results projections.RuleResults
	if err := json.Unmarshal(mustJSON(out.Validation.Results), &results); err != nil {
		t.Fatal(err)
	}
	submittedMetrics := mustJSON(rf.Metrics)
	returns := make([]*float64, len(rf.Returns))
	for i := range rf.Returns {
		returns[i] = &rf.Returns[i]
	}
	sub := &events.EvaluationRunSubmitted{WorldID: "demo", StrategyID: rf.StrategyID, RunID: rf.RunID, Stage: out.Stage, RiskTier: "medium",
		ModelCardVersion: "1.2", Metrics: submittedMetrics, Returns: returns}
	verdict := &events.EvaluationCompleted{Status: string(out.Summary.Status), RecommendedStage: out.Summary.RecommendedStage, PolicyVersion: 3,
		RulesetHash: out.Validation.RulesetHash, Profile: *out.Validation.Profile, PolicySnapshot: out.Validation.PolicySnapshot}
	ptr := func(s string) *string { return &s }
	active := out.Summary.Active

	submitted := projections.RunView{WorldID: "demo", StrategyID: rf.StrategyID, RunID: rf.RunID, Stage: out.Stage, RiskTier: "medium",
		ModelCardVersion: ptr("1.2"), Status: projections.StatusEvaluating, Metrics: submittedMetrics,
		Validation: projections.Validation{Results: projections.RuleResults{}}, CreatedAt: "2026-11-20T08:00:00Z", UpdatedAt: "2026-11-20T08:00:00Z", Revision: 1}
	evaluated := submitted
	evaluated.Status, evaluated.Metrics, evaluated.Revision, evaluated.UpdatedAt = projections.StatusEvaluated, mustJSON(out.Metrics), 2, "2026-11-20T08:00:01Z"
	evaluated.Validation = projections.Validation{PolicyVersion: ptr("3"), RulesetHash: ptr(out.Validation.RulesetHash), Profile: out.Validation.Profile, Results: results}
	evaluated.Summary = projections.Summary{Status: string(out.Summary.Status), RecommendedStage: out.Summary.RecommendedStage, Active: &active, ActiveSet: out.Summary.ActiveSet}
	overridden := evaluated
	overridden.Revision, overridden.UpdatedAt = 3, "2026-11-21T10:00:00Z"
	overridden.Summary.Override = &projections.Override{OverrideStatus: "approved", OverrideReason: ptr("tail hedged by the desk's put overlay <b>"),
		OverrideActor: ptr("risk.lead@example.com"), OverrideTimestamp: "2026-11-21T10:00:00Z"}
	failed := overridden
	failed.Revision, failed.UpdatedAt = 4, "2026-11-24T16:00:00Z"
	failed.Summary.ExPostFailures = []events.ExPostFailureRecorded{{CaseID: "case-7", Status: "confirmed", Category: "risk_breach",
		ReasonCode: "tail_loss_realized", Severity: "high", Actor: "ops@example.com", RecordedAt: "2026-11-24T16:00:00Z", Source: "manual",
		Notes: "lost 14 % on 2026-11-23"}}

	card := `{"strategy_id": "` + rf.StrategyID + `", "model_card_version": "1.2", "objective": "Harvest the volatility risk premium on index options.",
	  "universe": "S&P 500 index options", "data_overview": ["OPRA end-of-day option quotes", "index levels"],
	  "key_assumptions": ["implied volatility exceeds realized on average"], "key_limitations": ["short gamma: large losses in crashes"],
	  "features": ["VIX term structure"], "owner": "vol desk"}`
	return Input{
		Run: failed,
		History: []projections.HistoryEntry{
			{Revision: 1, RecordedAt: "2026-11-20T08:00:00.1Z", Payload: submitted},
			{Revision: 2, RecordedAt: "2026-11-20T08:00:01.2Z", Payload: evaluated},
			{Revision: 3, RecordedAt: "2026-11-21T10:00:00.3Z", Payload: overridden},
			{Revision: 4, RecordedAt: "2026-11-24T16:00:00.4Z", Payload: failed},
		},
		Submission:  sub,
		Verdict:     verdict,
		Override:    &events.OverrideRecorded{Status: "approved", Reason: "tail hedged", Actor: "risk.lead@example.com", Timestamp: "2026-11-21T10:00:00Z", ReviewDue: "2027-02-19T10:00:00Z", Revision: 3},
		ModelCard:   &ModelCard{Version: "1.2", PublishedAt: "2026-11-01T00:00:00Z", Document: json.RawMessage(card)},
		Flat:        metrics.Flatten(out.Metrics).Map(),
		GeneratedAt: generatedAt,
	}
}
