package rules

import (
	"math"
	"sort"

	"github.com/worldval/worldval/validation/policy"
)

func (e *engine) specCohort() spec {
	return metaSpec(Cohort, e.m.Cohort.Meta, policy.Soft, policy.Risk, tagsCohort)
}

// cohortStats computes the cohort's median Sharpe and DSR and its top-k set
// (validation-core §7.8.1).
func (e *engine) cohortStats(x *extScope) {
	var sharpes, dsrs []float64
	for _, c := range e.cands {
		if v, ok := c.flat.Lookup("sharpe"); ok {
			sharpes = append(sharpes, v)
		}
		if v, ok := c.flat.Lookup("deflated_sharpe_ratio"); ok {
			dsrs = append(dsrs, v)
		}
	}
	if len(sharpes) > 0 {
		x.medianSharpe, x.hasMedianSharpe = median(sharpes), true
	}
	if len(dsrs) > 0 {
		x.medianDSR, x.hasMedianDSR = median(dsrs), true
	}
	if k := e.m.Cohort.TopK; k != nil && *k > 0 && len(sharpes) > 0 {
		order := make([]int, len(e.cands))
		score := make([]float64, len(e.cands))
		for i, c := range e.cands {
			order[i] = i
			score[i] = math.Inf(-1)
			if v, ok := c.flat.Lookup("sharpe"); ok {
				score[i] = v
			}
		}
		sort.SliceStable(order, func(a, b int) bool { return score[order[a]] > score[order[b]] })
		x.cohortTop = make([]bool, len(e.cands))
		for pos, i := range order {
			if pos < *k {
				x.cohortTop[i] = true
			}
		}
	}
}

// cohort checks the cohort's median Sharpe and DSR and the strategy's top-k
// membership (validation-core §7.8.1). The median gates are cohort-wide.
func (e *engine) cohort(i int, x *extScope) RuleResult {
	cfg := e.m.Cohort
	flat := e.cands[i].flat
	sharpe, hasSharpe := flat.Lookup("sharpe")
	dsr, hasDSR := flat.Lookup("deflated_sharpe_ratio")
	var topK, inTop any
	if cfg.TopK != nil {
		topK = *cfg.TopK
	}
	if x.cohortTop != nil {
		inTop = x.cohortTop[i]
	}
	details := e.arena.withRoom(2,
		Detail{"median_sharpe", optional(x.medianSharpe, x.hasMedianSharpe)},
		Detail{"median_dsr", optional(x.medianDSR, x.hasMedianDSR)},
		Detail{"top_k", topK},
		Detail{"selected_in_top_k", inTop},
		Detail{"sharpe", optional(sharpe, hasSharpe)},
		Detail{"deflated_sharpe_ratio", optional(dsr, hasDSR)},
	)
	var c checks
	c.lowerBound(cfg.SharpeMedianMin, x.medianSharpe, x.hasMedianSharpe, "median_sharpe_missing", "cohort_median_sharpe_below_min", "sharpe_median_min", &details)
	c.lowerBound(cfg.DSRMedianMin, x.medianDSR, x.hasMedianDSR, "median_dsr_missing", "cohort_median_dsr_below_min", "dsr_median_min", &details)
	if cfg.TopK != nil {
		switch {
		case x.cohortTop == nil:
			c.warn("top_k_unavailable")
		case !x.cohortTop[i]:
			c.fail("cohort_top_k_exceeded")
		}
	}
	return c.result(e.specCohort(), "cohort_ok", "Cohort criteria satisfied", details)
}
