// Package badstrategies generates the "bad strategies" regression set of
// validation-core §11: one run file per failure mode a validation policy must
// catch — leverage blow-up, short history, overfitting by search intensity,
// tail risk, illiquidity and decay in paper trading — in the format `worldval
// evaluate --run` and `worldval policy diff --runs-dir` read.
//
// Every return series is drawn by a seeded generator, so no market data is
// copied into the repository and every machine draws the same numbers. The
// files live in testdata/bad-strategies/ with the policy that must catch
// them; regenerate them with `go generate ./internal/badstrategies` (a test
// fails when they are stale, and another when the policy lets one through).
package badstrategies

//go:generate go run ./gen ../../testdata/bad-strategies
