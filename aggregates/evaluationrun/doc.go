// Package evaluationrun is the evaluation-run aggregate (validation-core §2):
// the lifecycle of one validation of one strategy in one world, on the stream
// evaluation-run/{world}/{strategy}/{run}.
//
// A run is submitted ([Run.Submit], status evaluating) and then completed once
// by the evaluator ([Run.Complete], status evaluated), after which its
// metrics, rule results and verdict are immutable (CD8). Both commands are
// idempotent: a retried command appends nothing. The validation logic itself
// lives elsewhere; this package only guards the lifecycle.
//
// An evaluated run can then be annotated without touching its verdict: an
// override ([Run.RecordOverride], validation-core §10.1), whose approval
// carries its re-review due date, ex-post failures
// ([Run.RecordExPostFailure], §10.2), and the results of extended-validation
// passes ([Run.RecordExtended], risk-hub §3.8), once per trigger.
package evaluationrun
