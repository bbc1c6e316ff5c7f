package processor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// TestListRunMetrics lists the metrics of a world's evaluated runs at one
// stage: only those runs, in submission order, with the run view's metrics,
// over pages.
func TestListRunMetrics(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	h.putPolicy("w1", "application/yaml", testPolicyYAML)
	for i := range 5 {
		h.evaluatedRun("w1", fmt.Sprintf("s%d", i), "r1", []string{"backtest", "paper"}[i%2], passingMetrics())
	}
	type page struct {
		WorldID string `json:"world_id"`
		Stage   string `json:"stage"`
		Runs    []struct {
			StrategyID string          `json:"strategy_id"`
			RunID      string          `json:"run_id"`
			UpdatedAt  string          `json:"updated_at"`
			Metrics    json.RawMessage `json:"metrics"`
		} `json:"runs"`
		NextCursor string `json:"next_cursor"`
	}
	var got []string
	cursor := ""
	for {
		var p page
		resp := h.do(http.MethodGet, "/worlds/w1/runs/metrics?stage=backtest&limit=2&cursor="+cursor, apiReaderToken, nil)
		if resp.status != http.StatusOK {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
		resp.json(t, &p)
		if p.WorldID != "w1" || p.Stage != "backtest" || len(p.Runs) > 2 {
			t.Fatalf("page %+v", p)
		}
		for _, r := range p.Runs {
			got = append(got, r.StrategyID)
			var view struct {
				Metrics   json.RawMessage `json:"metrics"`
				UpdatedAt string          `json:"updated_at"`
			}
			h.do(http.MethodGet, "/worlds/w1/strategies/"+r.StrategyID+"/runs/r1", apiReaderToken, nil).json(t, &view)
			if !bytes.Equal(r.Metrics, view.Metrics) || r.UpdatedAt != view.UpdatedAt || r.RunID != "r1" {
				t.Errorf("%s: %s, run view %s", r.StrategyID, r.Metrics, view.Metrics)
			}
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if fmt.Sprint(got) != "[s0 s2 s4]" {
		t.Fatalf("listed %v, want the backtest runs s0 s2 s4", got)
	}
	h.do(http.MethodGet, "/worlds/w1/runs/metrics", apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
	h.do(http.MethodGet, "/worlds/w1/runs/metrics?stage=backtest&limit=0", apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
	h.do(http.MethodGet, "/worlds/w1/runs/metrics?stage=backtest&cursor=zz", apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
	h.do(http.MethodGet, "/worlds/w1/runs/metrics?stage=backtest", apiNoToken, nil).errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
}
