package processor

import (
	"net/http"
	"slices"
	"testing"
)

// settingsBody is the answer of the settings routes.
type settingsBody struct {
	WorldID     string `json:"world_id"`
	RiskProfile *struct {
		Tier                *string  `json:"tier"`
		MaxCapitalAtRiskPct *float64 `json:"max_capital_at_risk_pct"`
		ClientCritical      bool     `json:"client_critical"`
	} `json:"risk_profile"`
	ClientCritical bool `json:"client_critical"`
	Validation     *struct {
		OnError         *string `json:"on_error"`
		OnMissingMetric *string `json:"on_missing_metric"`
	} `json:"validation"`
	AllowLive        *bool  `json:"allow_live"`
	HighTierCritical bool   `json:"high_tier_critical"`
	Version          int    `json:"version"`
	UpdatedBy        string `json:"updated_by"`
}

func TestWorldSettingsLifecycle(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	var s settingsBody
	resp := h.do(http.MethodGet, "/worlds/w1/settings", apiReaderToken, nil)
	resp.json(t, &s)
	if resp.status != http.StatusOK || s.WorldID != "w1" || s.Version != 0 || s.RiskProfile != nil || s.Validation != nil || s.HighTierCritical {
		t.Fatalf("unset world: %d %s", resp.status, resp.body)
	}

	body := map[string]any{"id": "w1", "risk_profile": map[string]any{"tier": "HIGH", "max_capital_at_risk_pct": 2.5, "client_critical": true},
		"validation": map[string]any{"on_error": "Fail", "on_missing_metric": "fail"}, "allow_live": false}
	resp = h.putSettings("w1", body)
	resp.json(t, &s)
	if resp.status != http.StatusOK || !s.HighTierCritical || s.Version != 1 || *s.RiskProfile.Tier != "high" || *s.RiskProfile.MaxCapitalAtRiskPct != 2.5 ||
		*s.Validation.OnError != "fail" || s.AllowLive == nil || *s.AllowLive || s.UpdatedBy != "risk" {
		t.Fatalf("put: %d %s", resp.status, resp.body)
	}
	var got settingsBody
	h.do(http.MethodGet, "/worlds/w1/settings", apiReaderToken, nil).json(t, &got)
	if got.Version != 1 || !got.HighTierCritical {
		t.Fatalf("get after put: %+v", got)
	}

	before := h.head()
	if resp := h.putSettings("w1", body); resp.status != http.StatusOK {
		t.Fatalf("same settings: %d %s", resp.status, resp.body)
	}
	h.unchanged(before, "the same settings")

	// Only the world-level flag makes it critical now; no validation block.
	resp = h.putSettings("w1", map[string]any{"risk_profile": map[string]any{"tier": "high"}, "client_critical": true})
	resp.json(t, &s)
	if resp.status != http.StatusOK || !s.HighTierCritical || s.Version != 2 || s.Validation != nil {
		t.Fatalf("replace: %d %s", resp.status, resp.body)
	}
}

func TestWorldSettingsRejections(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	cases := []struct {
		name   string
		token  string
		body   any
		status int
		code   string
		paths  []string
	}{
		{"bad tier", apiRiskToken, map[string]any{"risk_profile": map[string]any{"tier": "extreme"}}, 422, "E_VALIDATION", []string{"risk_profile.tier"}},
		{"bad budget", apiRiskToken, map[string]any{"risk_profile": map[string]any{"max_capital_at_risk_pct": 120}}, 422, "E_VALIDATION", []string{"risk_profile.max_capital_at_risk_pct"}},
		{"bad modes", apiRiskToken, map[string]any{"validation": map[string]any{"on_error": "ignore", "on_missing_metric": "skip"}}, 422, "E_VALIDATION", []string{"validation.on_error", "validation.on_missing_metric"}},
		{"wrong types", apiRiskToken, map[string]any{"client_critical": "yes", "risk_profile": []any{}}, 422, "E_VALIDATION", []string{"client_critical", "risk_profile"}},
		{"unknown fields", apiRiskToken, map[string]any{"tier": "high", "risk_profile": map[string]any{"critical": true}}, 422, "E_VALIDATION", []string{"risk_profile.critical", "tier"}},
		{"other world", apiRiskToken, map[string]any{"id": "w2"}, 422, "E_VALIDATION", []string{"id"}},
		{"not an object", apiRiskToken, `[1]`, 422, "E_VALIDATION", []string{""}},
		{"read scope", apiReaderToken, map[string]any{}, 403, "E_FORBIDDEN", nil},
		{"override scope", apiValidatorToken, map[string]any{}, 403, "E_FORBIDDEN", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.head()
			e := h.do(http.MethodPut, "/worlds/w1/settings", tc.token, tc.body).errorBody(t, tc.status, tc.code)
			if tc.paths != nil && !slices.Equal(e.problemPaths(), tc.paths) {
				t.Fatalf("problems at %v, want %v", e.problemPaths(), tc.paths)
			}
			h.unchanged(before, tc.name)
		})
	}
}

// TestPublishTimeFailClosed checks Invariant 2 at publication: a high-tier
// critical world refuses a policy that is not fail-closed, with the reason
// and nothing appended; a fail-closed policy (explicitly, or by leaving the
// modes to their fail default) is published; other worlds are not
// constrained.
func TestPublishTimeFailClosed(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	h.putSettings("crit", criticalSettings(true))
	lenient := "validation: {on_error: fail, on_missing_metric: warn}\n" + testPolicyYAML

	before := h.head()
	e := h.putPolicy("crit", "application/yaml", lenient).errorBody(t, http.StatusUnprocessableEntity, "E_POLICY_FAIL_CLOSED_REQUIRED")
	if !slices.Equal(e.problemPaths(), []string{"validation.on_missing_metric"}) || e.Error.Details["on_missing_metric"] != "warn" || e.Error.Details["world_id"] != "crit" {
		t.Fatalf("error %+v", e.Error)
	}
	h.unchanged(before, "a refused publication")
	var wp worldPolicies
	h.do(http.MethodGet, "/worlds/crit/policies", apiReaderToken, nil).json(t, &wp)
	if len(wp.Versions) != 0 {
		t.Fatalf("versions %+v", wp.Versions)
	}

	if resp := h.putPolicy("crit", "application/yaml", testPolicyYAML); resp.status != http.StatusCreated {
		t.Fatalf("default modes: %d %s", resp.status, resp.body)
	}
	if resp := h.putPolicy("crit", "application/yaml", "validation: {on_error: fail, on_missing_metric: fail}\n"+testPolicyYAML); resp.status != http.StatusCreated {
		t.Fatalf("explicit fail: %d %s", resp.status, resp.body)
	}
	if resp := h.putPolicy("ordinary", "application/yaml", lenient); resp.status != http.StatusCreated {
		t.Fatalf("ordinary world: %d %s", resp.status, resp.body)
	}
	// High tier alone is not critical.
	h.putSettings("high", map[string]any{"risk_profile": map[string]any{"tier": "high"}})
	if resp := h.putPolicy("high", "application/yaml", lenient); resp.status != http.StatusCreated {
		t.Fatalf("high, not critical: %d %s", resp.status, resp.body)
	}
}

// TestEvaluationIsFailClosedInCriticalWorlds checks §6.7 end to end: a
// policy published while the world was ordinary only warns on a missing
// metric; once the world is high-tier critical, the evaluator forces
// fail-closed and the same submission fails.
func TestEvaluationIsFailClosedInCriticalWorlds(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	lenient := "validation: {on_error: warn, on_missing_metric: warn}\nvalidation_profiles:\n  backtest:\n    performance: {sharpe_min: 0.05}\n    risk: {adv_utilization_p95_max: 0.5}\ndefault_profile_by_stage: {backtest: backtest}\n"
	if resp := h.putPolicy("w1", "application/yaml", lenient); resp.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", resp.status, resp.body)
	}
	verdict := func(run string) string {
		self := h.evaluatedRun("w1", "s1", run, "backtest", passingMetrics())
		var v runBody
		h.do(http.MethodGet, self, apiReaderToken, nil).json(t, &v)
		return v.Summary.Status
	}
	if got := verdict("before"); got != "warn" {
		t.Fatalf("ordinary world: %s, want warn", got)
	}
	h.putSettings("w1", criticalSettings(false))
	if got := verdict("after"); got != "fail" {
		t.Fatalf("high-tier critical world: %s, want fail (fail-closed)", got)
	}
}
