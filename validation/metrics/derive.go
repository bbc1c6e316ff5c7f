package metrics

import "math"

// Normalize returns a deep copy of a submitted metrics object in the structured
// shape of validation-core §3:
//
//   - a flat payload (none of the keys returns, sample, risk, robustness,
//     diagnostics) becomes {"returns": <the whole object>}, so an empty object
//     becomes {"returns": {}} as in QMTL;
//   - returns.max_drawdown and benchmark.max_drawdown are replaced by their
//     absolute value when they are negative numbers (CD5).
//
// Unknown keys are kept. A nil map (no metrics at all) gives an empty
// document. The input is never modified.
func Normalize(submitted map[string]any) map[string]any {
	doc := copyDoc(submitted)
	if submitted != nil && isFlat(doc) {
		doc = map[string]any{"returns": doc}
	}
	for _, block := range [...]string{"returns", "benchmark"} {
		b, ok := doc[block].(map[string]any)
		if !ok {
			continue
		}
		if x, ok := Number(b["max_drawdown"]); ok && math.Signbit(x) {
			b["max_drawdown"] = math.Abs(x)
		}
	}
	return doc
}

// isFlat reports whether doc has none of the keys that mark a structured
// payload (validation-core §3): returns, sample, risk, robustness, diagnostics.
// Benchmark and stress alone do not.
func isFlat(doc map[string]any) bool {
	for _, k := range [...]string{"returns", "sample", "risk", "robustness", "diagnostics"} {
		if _, ok := doc[k]; ok {
			return false
		}
	}
	return true
}

// Derive computes the metrics of one run from its submitted metrics and its
// return series, in the order of validation-core §4.11: normalisation (flat
// payloads, CD5), the core derivation (§4.3) and the advanced derivation
// (§4.5). Benchmark and paper/shadow enrichment (§4.7), live metrics (§4.6) and
// portfolio proxies are separate steps: see [EnrichBenchmark],
// [EnrichPaperShadow], [DeriveLive] and [PortfolioProxies].
//
// series is the raw series (for example from [SeriesReturns]); NaN and ±Inf
// elements are dropped (§4.1). hasSeries reports whether the run carries a
// series at all: when it is false only normalisation happens and nothing is
// derived, not even strategy_complexity (QMTL derives nothing for requests
// without a series). When it is true and the cleaned series is empty, the core
// derivation still runs and yields the n = 0 column of §4.9, and of the
// advanced metrics only strategy_complexity is computed.
//
// A derived value is written only where the submitted value is null (missing,
// JSON null or not a finite number, CD4; for sample.regime_coverage, anything
// but an object); submitted finite values always win.
// Non-finite derived values are never written. The trial count of the deflated
// Sharpe ratio is [Trials] of the submitted document, and
// diagnostics.search_intensity is written as 1 when it is null.
//
// All Sharpe ratios written are per period, not annualised, except the
// cross-validation ones (robustness.cv_sharpe_mean/std), which the spec
// annualises with √PeriodsPerYear, and the optional
// returns.sharpe_annualized. Derive never modifies submitted or series,
// and it returns an error only for invalid [Params].
func Derive(submitted map[string]any, series []float64, hasSeries bool, p Params) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	f := &filler{doc: Normalize(submitted)}
	if !hasSeries {
		return f.result(), nil
	}
	r := Clean(series)

	sigmaT := opt{}
	sigmaT.v, sigmaT.ok = trialStd(f.doc)
	core := computeCore(r, p, Trials(f.doc), sigmaT)
	core.write(f)

	if len(r) > 0 {
		writeAdvanced(f, r, &core, p)
	}
	writeComplexity(f)
	return f.result(), nil
}
