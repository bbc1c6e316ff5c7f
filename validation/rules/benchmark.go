package rules

import "github.com/worldval/worldval/validation/policy"

func (e *engine) specBenchmark() spec {
	return metaSpec(Benchmark, e.m.Benchmark.Meta, policy.Soft, policy.Quant, tagsBenchmark)
}

// benchmark checks the Sharpe uplift over the benchmark, vs_benchmark_sharpe
// (validation-core §7.8.3).
func (e *engine) benchmark(i int) RuleResult {
	flat := e.cands[i].flat
	sharpe, hasSharpe := flat.Lookup("sharpe")
	bs, hasBS := flat.Lookup("benchmark_sharpe")
	up, hasUp := flat.Lookup("vs_benchmark_sharpe")
	details := e.arena.withRoom(1,
		Detail{"stage", e.stageValue()},
		Detail{"sharpe", optional(sharpe, hasSharpe)},
		Detail{"benchmark_sharpe", optional(bs, hasBS)},
		Detail{"vs_benchmark_sharpe", optional(up, hasUp)},
	)
	var c checks
	c.lowerBound(e.m.Benchmark.MinVsBenchmarkSharpe, up, hasUp, "benchmark_uplift_missing", "benchmark_uplift_below_min", "min_vs_benchmark_sharpe", &details)
	return c.result(e.specBenchmark(), "benchmark_ok", "Benchmark comparison satisfied", details)
}
