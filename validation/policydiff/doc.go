// Package policydiff re-evaluates a set of stored runs under two policies and
// reports which strategies would change outcome (validation-core §11): the
// per-strategy diff of selection, recommended stage, severity-blind status
// and rule statuses, the impact ratio, and whether the regression gate fails
// (impact_ratio ≥ fail_impact_ratio, §11.4).
//
// Both policies are evaluated once over all strategies together through
// [rules.EvaluateSet], so that top-k, correlation, hysteresis and cohort
// rules act across the set as §11.1 requires. Each run's metrics are
// flattened once and the flat table is shared by the two evaluations.
//
// The package is pure: no I/O and no clock (the caller passes the report
// timestamp). Loading runs from a server or a directory is the caller's job.
package policydiff
