package metrics_test

import (
	"fmt"

	"github.com/worldval/worldval/validation/metrics"
)

// ExampleDerive derives the metrics of the series of validation-core
// Appendix B from a submission that only declares its search intensity.
func ExampleDerive() {
	series, err := metrics.DecodeReturns([]byte(`[0.01, 0.02, -0.005, 0.015, 0.012, 0.008, -0.003, 0.02, 0.01, 0.005]`))
	if err != nil {
		panic(err)
	}
	submitted := map[string]any{"diagnostics": map[string]any{"search_intensity": 1.0}}
	res, err := metrics.Derive(submitted, series, true, metrics.Params{})
	if err != nil {
		panic(err)
	}
	flat := metrics.Flatten(res.Metrics)
	for _, name := range []string{"sharpe", "max_drawdown", "gain_to_pain_ratio", "deflated_sharpe_ratio", "var_p01", "low_vol"} {
		v, _ := flat.Lookup(name)
		fmt.Printf("%s = %.7f\n", name, v)
	}
	fmt.Println(len(res.Derivations), "paths derived")
	// Output:
	// sharpe = 1.1450015
	// max_drawdown = 0.0050000
	// gain_to_pain_ratio = 11.5000000
	// deflated_sharpe_ratio = 0.9943644
	// var_p01 = 0.0048200
	// low_vol = 0.4000000
	// 16 paths derived
}
