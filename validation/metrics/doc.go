// Package metrics derives the validation metrics of one strategy run from its
// return series and prepares them for the rule engine, as specified by
// validation-core §3–§5 (shared/spec/validation-core.md).
//
// Metrics documents are decoded JSON objects (map[string]any) with the blocks
// returns, sample, risk, robustness, diagnostics, benchmark and stress; unknown
// keys are preserved. Returns are simple per-period returns in decimal form
// (0.01 = 1 %), and every Sharpe ratio is per period (one element of the
// series), not annualised, unless a name or comment says otherwise.
//
// The evaluator's pipeline, in the order of §4.11:
//
//   - [DecodeReturns] reads a series from the CLI or the API; [SeriesReturns]
//     selects it from an evaluate request's series object (§4.1).
//   - [Derive] normalises the submitted metrics (flat payloads, CD5) and fills
//     the core (§4.3) and advanced (§4.5) metrics; submitted finite values
//     always win.
//   - [EnrichBenchmark] and [EnrichPaperShadow] add the evaluate-time
//     comparisons (§4.7.1–4.7.2).
//   - [Flatten] builds the look-up table the rules read (§5).
//   - On recording: [DeriveLive] (§4.6) and [PortfolioProxies] (§4.7.3);
//     [WithLiveDerivatives] adds the live names for extended rules.
//
// The statistical building blocks ([Sharpe], [SharpeStdErr],
// [ProbabilisticSharpe], [DeflatedSharpe], [MinTrackRecordLength], [Sortino],
// [NormCDF], [NormQuantile], [ExpectedMaxZ]) are exported for reuse and tests.
//
// The package is pure: no I/O, no clocks, no package-level mutable state. Every
// function is safe for concurrent use and never modifies its arguments; the
// documents it returns are fresh copies owned by the caller.
package metrics
