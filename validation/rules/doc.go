// Package rules is the validation rule engine of worldval: it evaluates one
// strategy's metrics (or a set of strategies' metrics) under a parsed
// [policy.Policy] and produces the rule results, the summary verdict and the
// validation health of the run (validation-core §7–§9).
//
// The five core rules always run, in the order data_currency, sample,
// performance, risk_constraint, robustness; the extended rules (cohort,
// portfolio, benchmark, stress, paper_shadow_consistency, live_monitoring)
// run inline when their block is configured, from the metrics of the
// strategies in scope. Every rule is protected: a panic becomes a rule_error
// result governed by validation.on_error (§7.9).
//
// Typical use, from policy bytes, a stage and a derived metrics document to
// the parts of the evaluated run:
//
//	p, err := policy.Parse(policyBytes) // 422 on error
//	res, err := policy.Resolve(p, nil, 0)
//	out := rules.Evaluate(res.Policy, rules.Input{
//		StrategyID:    "s1",
//		Stage:         "backtest",
//		PolicyVersion: res.Version,
//		Metrics:       doc, // after series derivation and enrichment
//	})
//	run["validation"] = out.Validation // policy_version, ruleset_hash, profile, results
//	run["summary"] = out.Summary       // status, recommended_stage, active, active_set
//	run["metrics"] = rules.AttachHealth(doc, out.Health)
//
// The package is pure: no I/O, no clocks, no randomness, and its output does
// not depend on map iteration order. Evaluate is safe for concurrent use.
package rules
