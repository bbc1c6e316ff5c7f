package rules

import "github.com/worldval/worldval/validation/policy"

func (e *engine) specPortfolio() spec {
	return metaSpec(Portfolio, e.m.Portfolio.Meta, policy.Soft, policy.Risk, tagsPortfolio)
}

// portfolio checks incremental VaR/ES and the portfolio Sharpe uplift
// (validation-core §7.8.2). Inline, these metrics exist only when submitted.
// details keep QMTL's keys (the metric values under max_incremental_*) and add
// the metric names.
func (e *engine) portfolio(i int) RuleResult {
	cfg := e.m.Portfolio
	flat := e.cands[i].flat
	v, hasV := flat.Lookup("incremental_var_99")
	es, hasES := flat.Lookup("incremental_es_99")
	up, hasUp := flat.Lookup("portfolio_sharpe_uplift")
	details := e.arena.withRoom(3,
		Detail{"max_incremental_var_99", optional(v, hasV)},
		Detail{"max_incremental_es_99", optional(es, hasES)},
		Detail{"incremental_var_99", optional(v, hasV)},
		Detail{"incremental_es_99", optional(es, hasES)},
		Detail{"portfolio_sharpe_uplift", optional(up, hasUp)},
	)
	var c checks
	c.upperBound(cfg.MaxIncrementalVaR99, v, hasV, "incremental_var_missing", "incremental_var_exceeds_max", "incremental_var_99_max", &details)
	c.upperBound(cfg.MaxIncrementalES99, es, hasES, "incremental_es_missing", "incremental_es_exceeds_max", "incremental_es_99_max", &details)
	c.lowerBound(cfg.MinPortfolioSharpeUplift, up, hasUp, "portfolio_sharpe_uplift_missing", "portfolio_sharpe_uplift_below_min", "min_portfolio_sharpe_uplift", &details)
	return c.result(e.specPortfolio(), "portfolio_ok", "Portfolio constraints satisfied", details)
}
