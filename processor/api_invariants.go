package processor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/invariants"
	"github.com/worldval/worldval/validation/policy"
)

// invariantsOverview is the answer of GET /validations/invariants: the
// invariant report of every world the service knows, and the counts of the
// override re-review queue (validation-core §10.7).
type invariantsOverview struct {
	// OK is true when every world's report is.
	OK bool `json:"ok"`
	// WorldsScanned counts the worlds reported.
	WorldsScanned int `json:"worlds_scanned"`
	// ApprovedOverrides counts the approved overrides listed for re-review
	// over all worlds.
	ApprovedOverrides int `json:"approved_overrides"`
	// OverdueOverrides counts those whose review is overdue.
	OverdueOverrides int `json:"overdue_overrides"`
	// Worlds are the reports, by world id in byte order.
	Worlds []worldInvariants `json:"worlds"`
}

// worldInvariants is one world's report with its id.
type worldInvariants struct {
	WorldID string `json:"world_id"`
	invariants.Report
}

// getWorldInvariants answers GET /worlds/{world}/validations/invariants
// [?strategy_id=]: the invariant report of validation-core §10.7 over the
// world's evaluated runs (those of one strategy with strategy_id), computed
// now from the always-current invariants read model. An unknown world is
// the record {id: world} with no runs: a clean report, not a 404.
func (a *api) getWorldInvariants(w http.ResponseWriter, r *http.Request) error {
	q, err := readQuery(r, "strategy_id")
	if err != nil {
		return err
	}
	rep, err := a.invariantReport(r.Context(), r.PathValue("world"), q.Get("strategy_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// getAllInvariants answers GET /validations/invariants[?strategy_id=]: the
// report of every world, with the re-review queue's counts.
func (a *api) getAllInvariants(w http.ResponseWriter, r *http.Request) error {
	q, err := readQuery(r, "strategy_id")
	if err != nil {
		return err
	}
	worlds, err := a.models.invariants.Worlds(r.Context())
	if err != nil {
		return err
	}
	out := invariantsOverview{OK: true, Worlds: make([]worldInvariants, 0, len(worlds))}
	for _, id := range worlds {
		rep, err := a.invariantReport(r.Context(), id, q.Get("strategy_id"))
		if err != nil {
			return err
		}
		out.OK = out.OK && rep.OK
		out.ApprovedOverrides += len(rep.ApprovedOverrides)
		for _, o := range rep.ApprovedOverrides {
			if o.ReviewOverdue != nil && *o.ReviewOverdue {
				out.OverdueOverrides++
			}
		}
		out.Worlds = append(out.Worlds, worldInvariants{WorldID: id, Report: rep})
	}
	out.WorldsScanned = len(out.Worlds)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// invariantReport computes the report of one world over its evaluated runs,
// of one strategy when strategy is not empty. Runs still evaluating are
// left out: they have no verdict and no validation health yet, which is not
// a violation but a moment of the pipeline.
func (a *api) invariantReport(ctx context.Context, worldID, strategy string) (invariants.Report, error) {
	in, err := a.models.invariants.World(ctx, worldID)
	if err != nil {
		return invariants.Report{}, err
	}
	runs := make([]invariants.Run, 0, len(in.Runs))
	for i := range in.Runs {
		v := &in.Runs[i]
		if v.Status != projections.StatusEvaluated || (strategy != "" && v.StrategyID != strategy) {
			continue
		}
		run, err := invariantRun(v)
		if err != nil {
			return invariants.Report{}, err
		}
		runs = append(runs, run)
	}
	return invariants.Check(invariantWorld(in.World), runs, a.now().UTC()), nil
}

// invariantWorld converts the read model's world record.
func invariantWorld(w projections.InvariantWorld) invariants.World {
	out := invariants.World{ID: w.WorldID}
	if w.DefaultPolicyVersion > 0 {
		v := w.DefaultPolicyVersion
		out.DefaultPolicyVersion = &v
	}
	if s := w.Settings; s != nil {
		out.ClientCritical = s.ClientCritical
		if rp := s.RiskProfile; rp != nil {
			out.RiskProfile = policy.RiskProfile{Tier: rp.Tier, MaxCapitalAtRiskPct: rp.MaxCapitalAtRiskPct, ClientCritical: rp.ClientCritical}
		}
		if v := s.Validation; v != nil {
			out.Validation = &invariants.Modes{OnError: v.OnError, OnMissingMetric: v.OnMissingMetric}
		}
	}
	return out
}

// invariantRun converts a (trimmed) run view.
func invariantRun(v *projections.RunView) (invariants.Run, error) {
	run := invariants.Run{
		WorldID: v.WorldID, StrategyID: v.StrategyID, RunID: v.RunID, Stage: v.Stage,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		Status: v.Summary.Status, PolicyVersion: v.Validation.PolicyVersion,
	}
	if o := v.Summary.Override; o != nil {
		run.OverrideStatus, run.OverrideReason, run.OverrideActor = o.OverrideStatus, o.OverrideReason, o.OverrideActor
		run.OverrideTimestamp = nonEmpty(o.OverrideTimestamp)
	}
	if err := json.Unmarshal(v.Metrics, &run.Metrics); err != nil {
		return invariants.Run{}, fmt.Errorf("run %s/%s/%s: metrics: %w", v.WorldID, v.StrategyID, v.RunID, err)
	}
	for _, r := range v.Validation.Results {
		var res struct {
			ReasonCode string `json:"reason_code"`
		}
		_ = json.Unmarshal(r.Result, &res) // a result without a reason code counts as no error
		run.Results = append(run.Results, invariants.Result{Name: r.Rule, ReasonCode: res.ReasonCode})
	}
	return run, nil
}
