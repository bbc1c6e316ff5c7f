package metrics

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"testing"
)

// FuzzDecodeReturns: no input panics; accepted series are non-empty, finite,
// and a JSON re-encoding decodes to the same values.
func FuzzDecodeReturns(f *testing.F) {
	for _, seed := range []string{
		`[0.01, null, -0.02]`, "returns\n0.01\n\n-0.02\n", `[1e400]`, `["x"]`, "NaN\n", `{"a":1}`,
		"\xef\xbb\xbf[0]", `[0.1,`, "\"0.5\"\r\n", "a,b",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeReturnsDetailed(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(d.Values) == 0 {
			t.Fatal("accepted an empty series")
		}
		for i, x := range d.Values {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("value %d not finite: %v", i, x)
			}
		}
		enc, err := json.Marshal(d.Values)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeReturns(enc)
		if err != nil || !slices.Equal(again, d.Values) {
			t.Fatalf("round trip: %v, %v vs %v", err, again, d.Values)
		}
	})
}

// floatsFromBytes reads little-endian float64s; every bit pattern is allowed,
// so NaN, ±Inf, subnormals and extreme magnitudes all reach Derive.
func floatsFromBytes(b []byte) []float64 {
	out := make([]float64, 0, len(b)/8)
	for ; len(b) >= 8; b = b[8:] {
		out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return out
}

func bytesFromFloats(xs []float64) []byte {
	b := make([]byte, 0, 8*len(xs))
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// FuzzDerive: Derive never panics, every number it writes is finite, and the
// bounded metrics stay in range (probabilities in [0, 1]).
func FuzzDerive(f *testing.F) {
	f.Add(bytesFromFloats(appendixB), 1.0, 0.0, 0.0, 0.0, true)
	f.Add(bytesFromFloats([]float64{0.1, 0.1, 0.1}), 100.0, 0.0, 0.0, 252.0, true)
	f.Add(bytesFromFloats([]float64{-0.02, math.NaN(), 1e300, -1e300, 5e-324}), 16.0, 0.001, 0.0005, 365.0, false)
	f.Add(bytesFromFloats(benchSeries()[:200]), 1e30, 0.0, 0.0, 0.0, true)
	f.Add([]byte{}, -3.0, 0.0, 0.0, 0.0, true)
	f.Fuzz(func(t *testing.T, raw []byte, si, rf, tc, ppy float64, structured bool) {
		series := floatsFromBytes(raw)
		submitted := map[string]any{"sharpe": 0.5}
		if structured {
			submitted = map[string]any{
				"diagnostics": map[string]any{"search_intensity": si, "extra_metrics": map[string]any{"n_features": si}},
				"returns":     map[string]any{"max_drawdown": -si},
			}
		}
		p := Params{PeriodsPerYear: ppy, RiskFreeRate: rf, TransactionCost: tc, OptionalMetrics: true}
		res, err := Derive(submitted, series, true, p)
		if err != nil {
			if p.Validate() == nil {
				t.Fatalf("Derive rejected valid params %+v: %v", p, err)
			}
			return
		}
		checkFinite(t, "", res.Metrics)
		doc := res.Metrics
		for _, path := range [][]string{
			{"robustness", "deflated_sharpe_ratio"}, {"robustness", "probabilistic_sharpe_ratio"},
			{"returns", "time_under_water_ratio"},
			{"sample", "regime_coverage", "low_vol"}, {"sample", "regime_coverage", "mid_vol"},
			{"sample", "regime_coverage", "high_vol"},
		} {
			if v, ok := get(doc, path...); ok && !(v >= 0 && v <= 1) {
				t.Errorf("%v = %v, want in [0, 1]", path, v)
			}
		}
		for _, path := range [][]string{
			{"returns", "max_drawdown"}, {"returns", "var_p01"}, {"returns", "es_p01"},
			{"returns", "max_time_under_water_days"},
		} {
			if v, ok := get(doc, path...); ok && !(v >= 0) {
				t.Errorf("%v = %v, want ≥ 0", path, v)
			}
		}
		n := len(Clean(series))
		if v, ok := get(doc, "sample", "n_trades_total"); (n > 0) != ok || (ok && v != float64(n)) {
			t.Errorf("n_trades_total = %v (%v), cleaned n = %d", v, ok, n)
		}
	})
}

// checkFinite fails on any non-finite float64 leaf of a document.
func checkFinite(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Errorf("%s = %v, not finite", path, x)
		}
	case map[string]any:
		for k, e := range x {
			checkFinite(t, path+"."+k, e)
		}
	case []any:
		for _, e := range x {
			checkFinite(t, path+"[]", e)
		}
	}
}

// FuzzRegimeCoverage compares the regime classification with the exact
// oracle on series of coarse grid values (every byte is one return of
// (b−128)/1000), which produce the ties that matter.
func FuzzRegimeCoverage(f *testing.F) {
	f.Add([]byte{130, 126, 130, 126, 130, 126, 140, 100, 130, 126, 130, 126, 140, 100, 128, 128, 128, 128, 128, 128, 200, 60})
	f.Add([]byte{128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || len(data) > 300 {
			return
		}
		r := make([]float64, len(data))
		for i, b := range data {
			r[i] = float64(int(b)-128) / 1000
		}
		got, ok := regimeCoverage(r)
		if !ok {
			t.Fatal("not ok")
		}
		if want := exactRegimes(r); got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
}
