// Package invariants checks the governance invariants of one world's
// evaluation runs (validation-core §10.3–§10.7): live runs must pass and be
// on the current policy (Invariant 1), high-tier critical worlds must be
// configured fail-closed (Invariant 2), approved overrides are listed for
// re-review with their due dates (Invariant 3), and the recorded validation
// health of every run must equal what its metrics and results give (§10.6).
//
// It also owns the re-review window rule of validation-core §10.1, which the
// evaluation-run aggregate applies when it records an approval.
//
// The package is pure: no I/O, and the current time is an argument.
package invariants
