package extended

import (
	"encoding/json"
	"math"

	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/rules"
)

// Portfolio incremental-risk methods, recorded as
// diagnostics.extra_metrics.portfolio_incremental_method.
const (
	// MethodCovariance is the incremental VaR/ES of §3.5.2 from the hub
	// covariance.
	MethodCovariance = "covariance"
	// MethodCovarianceEstimated is §3.5.2 with the candidate's σ estimated
	// from its var_p01 because the covariance lacks its diagonal (O1).
	MethodCovarianceEstimated = "covariance_estimated_sigma"
	// MethodLeaveOneOut is the leave-one-out risk of a held strategy (O1).
	MethodLeaveOneOut = "leave_one_out"
	// MethodSubmitted keeps incremental values the producer submitted.
	MethodSubmitted = "submitted"
	// MethodBaseline charges the whole baseline VaR/ES (§3.5.4 step 3).
	MethodBaseline = "baseline"
	// MethodDrawdown uses |returns.max_drawdown| (§3.5.4 step 3).
	MethodDrawdown = "max_drawdown"
)

// Baseline sources, recorded as
// diagnostics.extra_metrics.portfolio_baseline_source.
const (
	// SourceHub is the hub baseline of §3.5.1.
	SourceHub = "hub"
	// SourceFallback is the fallback baseline of §3.5.3.
	SourceFallback = "fallback"
)

// portfolioProxyPaths are the portfolio proxies the evaluation derives when
// a run is recorded (validation-core §4.7.3). An extended pass recomputes
// them with a baseline, so the derived ones (never the submitted ones) are
// dropped first.
func portfolioProxyPaths() [8]string {
	return [8]string{
		"risk.incremental_var_99",
		"risk.incremental_es_99",
		"diagnostics.extra_metrics.portfolio_baseline_sharpe",
		"diagnostics.extra_metrics.portfolio_baseline_var_99",
		"diagnostics.extra_metrics.portfolio_baseline_es_99",
		"diagnostics.extra_metrics.portfolio_sharpe_uplift",
		"diagnostics.extra_metrics.portfolio_var_99_with_candidate",
		"diagnostics.extra_metrics.portfolio_es_99_with_candidate",
	}
}

// Run is one run of an extended pass as recorded by its evaluation.
type Run struct {
	// StrategyID is the run's strategy.
	StrategyID string
	// Metrics is the metrics document of the evaluation (MetricsComputed);
	// it is not modified.
	Metrics map[string]any
	// Derivations are the paths the evaluation derived (MetricsComputed
	// derivations): the values a pass may recompute.
	Derivations []string
}

// Pass is what an extended pass knows besides each run (spec §3.1 steps
// 3–6). The zero value enriches nothing but the live aggregates of series
// the runs carry themselves.
type Pass struct {
	// Params are the portfolio constants.
	Params Params
	// Hub is the snapshot portfolio; nil without a snapshot (or without
	// weights).
	Hub *Hub
	// Constraints are the snapshot's constraints (candidate weight).
	Constraints json.RawMessage
	// Realized returns the snapshot's realized return series of a
	// strategy (spec §2.7 extraction), nil when none; nil func: none.
	Realized func(strategy string) []float64
	// Stress is the snapshot's stress payload, parsed; nil when none.
	Stress *Stress
	// Peers are the world's active strategies for the fallback baseline.
	Peers []Peer
	// Correlations are the peers' pairwise correlations.
	Correlations Correlations
	// Windows are the live windows; nil means [DefaultWindows].
	Windows []int
}

// Enriched is one run after the extended enrichment.
type Enriched struct {
	// Metrics is the enriched document (a fresh copy).
	Metrics map[string]any
	// Flat is the rules' look-up table of Metrics, with the derived names
	// of the extended re-evaluation ([rules.ExtendedDerivatives]).
	Flat *metrics.Flat
}

// Enrich applies steps 4–6 of spec §3.1 to one run: live aggregates from
// the run's own live series, else the snapshot's realized returns (§3.7.1,
// overwriting, with live VaR/ES, O18); the snapshot's stress when the run
// has none (§3.6.1, D8); the portfolio baseline and incremental VaR/ES
// (§3.5, O1, O2), recorded with the method and baseline source used; then
// the portfolio augmentation of §3.5.4 over the recomputed proxies.
func (p *Pass) Enrich(run Run) Enriched {
	doc := cloneObject(run.Metrics)
	for _, d := range run.Derivations {
		for _, proxy := range portfolioProxyPaths() {
			if d == proxy {
				deletePath(doc, d)
			}
		}
	}
	p.live(doc, run.StrategyID)
	if s, _ := doc["stress"].(map[string]any); len(s) == 0 {
		if b := p.Stress.For(run.StrategyID); b != nil {
			doc["stress"] = b
		}
	}
	doc = p.portfolio(doc, run.StrategyID)
	flat := rules.ExtendedDerivatives(metrics.Flatten(doc))
	if otherConvention(doc) {
		// The derived ratio would divide a per-period live Sharpe by a
		// Sharpe of another convention (O11).
		flat = flat.Without("live_vs_backtest_sharpe_ratio")
	}
	return Enriched{Metrics: doc, Flat: flat}
}

// live writes the windowed live aggregates into diagnostics.
func (p *Pass) live(doc map[string]any, strategy string) {
	series, ok := ownLiveReturns(doc)
	if !ok && p.Realized != nil {
		series = p.Realized(strategy)
	}
	if len(series) == 0 {
		return
	}
	windows := p.Windows
	if windows == nil {
		windows = DefaultWindows()
	}
	var backtest *float64
	if s, ok := metrics.Number(valueAt(doc, "returns", "sharpe")); ok && !otherConvention(doc) {
		backtest = &s
	}
	diag := object(doc, "diagnostics")
	for _, a := range LiveAggregates(series, windows, backtest) {
		if a.Value == nil {
			delete(diag, a.Name)
		} else {
			diag[a.Name] = *a.Value
		}
	}
	if _, ok := metrics.Number(diag["live_returns_len"]); !ok {
		diag["live_returns_len"] = float64(len(series))
	}
}

// otherConvention reports whether the run declares a Sharpe convention
// other than per period (returns.sharpe_convention or
// diagnostics.sharpe_convention): the live/backtest ratio would compare
// unlike units, so it is not computed (O11).
func otherConvention(doc map[string]any) bool {
	for _, path := range [...][2]string{{"returns", "sharpe_convention"}, {"diagnostics", "sharpe_convention"}} {
		if c, ok := valueAt(doc, path[0], path[1]).(string); ok && c != "per_period" {
			return true
		}
	}
	return false
}

// ownLiveReturns finds the run's own live series (validation-core §4.6):
// diagnostics.live_returns, live_returns or live.returns, the first that is
// an array of finite numbers.
func ownLiveReturns(doc map[string]any) ([]float64, bool) {
	for _, path := range [...][]string{{"diagnostics", "live_returns"}, {"live_returns"}, {"live", "returns"}} {
		arr, ok := valueAt(doc, path...).([]any)
		if !ok {
			continue
		}
		xs := make([]float64, 0, len(arr))
		for _, v := range arr {
			f, ok := metrics.Number(v)
			if !ok {
				break
			}
			xs = append(xs, f)
		}
		if len(xs) == len(arr) {
			return xs, true
		}
	}
	return nil, false
}

// portfolio recomputes the portfolio proxies of one run (§3.5).
func (p *Pass) portfolio(doc map[string]any, strategy string) map[string]any {
	extra := object(object(doc, "diagnostics"), "extra_metrics")
	_, submitted := metrics.Number(valueAt(doc, "risk", "incremental_var_99"))
	method, source := "", ""
	var base metrics.PortfolioBaseline
	if p.Hub != nil {
		if b, ok := p.Hub.Baseline(); ok {
			source = SourceHub
			base.VaR99, base.ES99 = ptr(b.VaR99), ptr(b.ES99)
			if inc, m, ok := p.incremental(doc, extra, strategy); ok {
				method = m
				risk := object(doc, "risk")
				risk["incremental_var_99"], risk["incremental_es_99"] = inc.VaR99, inc.ES99
			}
		}
	}
	if source == "" && len(p.Peers) > 0 {
		fb := NewFallback(p.Peers, p.Correlations, p.Params, strategy)
		if fb.Sharpe != nil || fb.VaR99 != nil || fb.ES99 != nil {
			source = SourceFallback
			base = metrics.PortfolioBaseline{Sharpe: fb.Sharpe, VaR99: fb.VaR99, ES99: fb.ES99}
		}
	}
	if method == "" {
		_, hasDD := metrics.Number(valueAt(doc, "returns", "max_drawdown"))
		switch {
		case submitted:
			method = MethodSubmitted
		case base.VaR99 != nil:
			method = MethodBaseline
		case hasDD:
			method = MethodDrawdown
		}
	}
	doc = proxies(doc, base, p.Params.ESFactor)
	extra = object(object(doc, "diagnostics"), "extra_metrics")
	if method != "" {
		extra["portfolio_incremental_method"] = method
	}
	if source != "" {
		extra["portfolio_baseline_source"] = source
	}
	return doc
}

// incremental returns the candidate's incremental risk from the hub: the
// leave-one-out risk of a held strategy, else §3.5.2 with the candidate
// weight, recorded (setdefault) as extra_metrics.portfolio_candidate_weight.
func (p *Pass) incremental(doc, extra map[string]any, strategy string) (Risk, string, bool) {
	if p.Hub.Holds(strategy) {
		r, ok := p.Hub.LeaveOneOut(strategy)
		return r, MethodLeaveOneOut, ok
	}
	alpha := CandidateWeight(p.Constraints, p.Hub.Len())
	method, sigma := MethodCovariance, math.NaN()
	if _, ok := p.Hub.Diagonal(strategy); !ok {
		method = MethodCovarianceEstimated
		v, ok := metrics.Number(doc["var_p01"])
		if !ok {
			v, ok = metrics.Number(valueAt(doc, "returns", "var_p01"))
		}
		if ok && v > 0 {
			sigma = v / p.Params.Z
		}
	}
	r, ok := p.Hub.Incremental(strategy, alpha, sigma)
	if ok {
		if _, set := metrics.Number(extra["portfolio_candidate_weight"]); !set {
			extra["portfolio_candidate_weight"] = alpha
		}
	}
	return r, method, ok
}

// proxies applies §3.5.4 through [metrics.PortfolioProxies], whose ES
// multiplier is QMTL's 1.2: with another ES factor (O15) the ES fallbacks
// are recomputed here first so that the shared code only fills what is
// still missing.
func proxies(doc map[string]any, base metrics.PortfolioBaseline, esFactor float64) map[string]any {
	if esFactor != 0 && esFactor != 1.2 {
		if _, ok := metrics.Number(valueAt(doc, "risk", "incremental_es_99")); !ok && base.ES99 == nil {
			v, ok := metrics.Number(valueAt(doc, "risk", "incremental_var_99"))
			if !ok && base.VaR99 != nil {
				v, ok = *base.VaR99, true
			}
			if !ok {
				if dd, hasDD := metrics.Number(valueAt(doc, "returns", "max_drawdown")); hasDD {
					v, ok = math.Abs(dd), true
				}
			}
			if ok {
				object(doc, "risk")["incremental_es_99"] = esFactor * math.Abs(v)
			}
		}
	}
	return metrics.PortfolioProxies(doc, base).Metrics
}

// valueAt returns the value at a path of nested objects, nil when absent.
func valueAt(doc map[string]any, path ...string) any {
	var cur any = doc
	for _, seg := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[seg]
	}
	return cur
}

// object returns the object member key of m, creating it (and replacing a
// non-object value) when needed.
func object(m map[string]any, key string) map[string]any {
	if o, ok := m[key].(map[string]any); ok {
		return o
	}
	o := map[string]any{}
	m[key] = o
	return o
}

// deletePath removes the member at a dotted path of nested objects.
func deletePath(doc map[string]any, dotted string) {
	cur := doc
	start := 0
	for i := 0; i <= len(dotted); i++ {
		if i < len(dotted) && dotted[i] != '.' {
			continue
		}
		seg := dotted[start:i]
		if i == len(dotted) {
			delete(cur, seg)
			return
		}
		next, ok := cur[seg].(map[string]any)
		if !ok {
			return
		}
		cur, start = next, i+1
	}
}
