// Package extended holds the pure arithmetic of the extended validation
// layers of risk-hub spec §3 and the exit rules of §5: the portfolio baseline
// and incremental VaR/ES from hub weights and covariance (§3.5.1–§3.5.2,
// with leave-one-out for held strategies and a configurable default
// correlation, O1/O2), the fallback baseline without hub covariance (§3.5.3,
// O14), stress extraction (§3.6.1, D8), windowed live aggregates with live
// VaR/ES (§3.7.1, D21, O18), the post-processing of extended rule results
// (D7, D26, O4, O18, O6), RFC 7386 merge patches of metrics documents, and the
// per-run enrichment pipeline that ties them together.
//
// The rules themselves live in package rules (EvaluateSet); this package only
// prepares their inputs and adjusts their outputs where the risk-hub
// decisions differ from validation-core. Nothing here does I/O, reads a clock
// or keeps package-level state; every function is safe for concurrent use.
package extended
