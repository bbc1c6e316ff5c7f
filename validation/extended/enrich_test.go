package extended

import (
	"encoding/json"
	"testing"

	"github.com/worldval/worldval/validation/metrics"
)

// recorded returns a run's metrics as the evaluation records them: Sharpe
// 1.2 and drawdown −0.05 submitted, and the portfolio proxies of
// validation-core §4.7.3 derived without a baseline.
func recorded(t *testing.T, strategy string) Run {
	t.Helper()
	doc, err := DecodeObject(json.RawMessage(`{"returns": {"sharpe": 1.2, "max_drawdown": -0.05, "var_p01": 0.0466}}`))
	if err != nil {
		t.Fatal(err)
	}
	res := metrics.PortfolioProxies(doc, metrics.PortfolioBaseline{})
	return Run{StrategyID: strategy, Metrics: res.Metrics, Derivations: res.Derivations}
}

func extra(doc map[string]any, key string) any {
	return valueAt(doc, "diagnostics", "extra_metrics", key)
}

// TestEnrichHubCandidate enriches a candidate c against the two-asset hub
// (VaR 0.0336037379) whose covariance also holds c: Σcc = 4e-4 and Σac =
// Σbc = 0. α = 1/(2+1) = 1/3, so w' = {a: 0.4, b: 0.2667, c: 0.3333}:
//
//	σ² = 0.16·4e-4 + 0.071111·1e-4 + 2·0.4·0.266667·1e-4 + 0.111111·4e-4
//	   = 0.64e-4 + 0.0711111e-4 + 0.2133333e-4 + 0.4444444e-4 = 1.3688889e-4
//	VaR' = 2.33·0.0116999525 = 0.0272608894; ΔVaR = 0.0272608894 − 0.0336037379 = −0.0063428485
//
// (checked with python3: 2.33*sqrt(1.3688889e-4) − 2.33*sqrt(2.08e-4) =
// −0.006342848523826189). The recording
// proxies (incremental_var_99 = |mdd| = 0.05) are replaced; the uplift has
// no baseline Sharpe (hub baselines have none): 1.2 − 0.
func TestEnrichHubCandidate(t *testing.T) {
	cov := map[string]float64{"a,a": 4e-4, "b,b": 1e-4, "a,b": 1e-4, "c,c": 4e-4, "a,c": 0, "b,c": 0}
	p := Pass{Params: Params{Z: 2.33, ESFactor: 1.2}, Hub: NewHub(map[string]float64{"a": 0.6, "b": 0.4}, cov, []string{"c"}, Params{Z: 2.33, ESFactor: 1.2})}
	e := p.Enrich(recorded(t, "c"))
	v, _ := metrics.Number(valueAt(e.Metrics, "risk", "incremental_var_99"))
	near(t, "ΔVaR", v, -0.006342848523826189)
	es, _ := metrics.Number(valueAt(e.Metrics, "risk", "incremental_es_99"))
	near(t, "ΔES", es, 1.2*(0.0336037378873243+(-0.006342848523826189))-1.2*0.0336037378873243)
	if extra(e.Metrics, "portfolio_incremental_method") != MethodCovariance || extra(e.Metrics, "portfolio_baseline_source") != SourceHub {
		t.Errorf("method %v, source %v", extra(e.Metrics, "portfolio_incremental_method"), extra(e.Metrics, "portfolio_baseline_source"))
	}
	near(t, "candidate weight", extra(e.Metrics, "portfolio_candidate_weight").(float64), 1.0/3)
	near(t, "baseline VaR", extra(e.Metrics, "portfolio_baseline_var_99").(float64), 0.03360373788732438)
	near(t, "uplift", extra(e.Metrics, "portfolio_sharpe_uplift").(float64), 1.2)
	near(t, "VaR with candidate", extra(e.Metrics, "portfolio_var_99_with_candidate").(float64), 0.03360373788732438-0.006342848523826189)
	if got, _ := e.Flat.Lookup("incremental_var_99"); got != v {
		t.Errorf("flat incremental_var_99 = %v", got)
	}

	// A held strategy gets its leave-one-out risk (TestLeaveOneOut: Δa =
	// 0.0103037379).
	e = p.Enrich(recorded(t, "a"))
	v, _ = metrics.Number(valueAt(e.Metrics, "risk", "incremental_var_99"))
	near(t, "leave-one-out ΔVaR", v, 0.010303737887324381)
}

// TestEnrichFallback: no hub; the fallback peers of TestFallback give
// S̄ = 0.75, VaR 0.0308230028 and ES 0.0369876033. The candidate is
// charged the whole baseline (§3.5.4 step 3) and its uplift is 1.2 − 0.75.
func TestEnrichFallback(t *testing.T) {
	p := Pass{Params: DefaultParams(), Peers: []Peer{
		{ID: "b", Sharpe: f64(0.5), MaxDrawdown: f64(-0.0233)},
		{ID: "a", Sharpe: f64(1.0), IncrementalVaR99: f64(0.0466)},
	}}
	e := p.Enrich(recorded(t, "c"))
	v, _ := metrics.Number(valueAt(e.Metrics, "risk", "incremental_var_99"))
	near(t, "incremental VaR", v, 0.03082300277390248)
	near(t, "uplift", extra(e.Metrics, "portfolio_sharpe_uplift").(float64), 1.2-0.75)
	if extra(e.Metrics, "portfolio_incremental_method") != MethodBaseline || extra(e.Metrics, "portfolio_baseline_source") != SourceFallback {
		t.Errorf("method %v, source %v", extra(e.Metrics, "portfolio_incremental_method"), extra(e.Metrics, "portfolio_baseline_source"))
	}
	// Without hub and peers the recording proxies come back unchanged.
	var none Pass
	run := recorded(t, "c")
	e = none.Enrich(run)
	if d := Diff(run.Metrics, e.Metrics); len(d) != 1 || d["diagnostics"] == nil {
		t.Errorf("no baseline: patch %v", d)
	}
}

// TestEnrichLiveAndStress injects the hub's realized returns and stress.
func TestEnrichLiveAndStress(t *testing.T) {
	p := Pass{
		Realized: func(s string) []float64 { return []float64{0.01, -0.02, 0.03, -0.01} },
		Stress:   ParseStress(json.RawMessage(`{"crash": {"max_drawdown": 0.3}}`), nil),
		Windows:  []int{4, 2},
	}
	e := p.Enrich(recorded(t, "c"))
	// Window 2 of TestLiveAggregates: live Sharpe 0.5; the backtest Sharpe
	// is 1.2, so the decay ratio is 0.5/1.2.
	near(t, "live_sharpe", flatValue(e.Flat, "live_sharpe"), 0.5)
	near(t, "decay", flatValue(e.Flat, "live_vs_backtest_sharpe_ratio"), 0.5/1.2)
	near(t, "live_returns_len", flatValue(e.Flat, "live_returns_len"), 4)
	near(t, "stress", flatValue(e.Flat, "stress.crash.max_drawdown"), 0.3)
	if _, ok := e.Flat.Lookup("live_dd"); !ok {
		t.Error("the extended derivatives were not added")
	}
	// A declared annualised convention refuses the ratio (O11).
	run := recorded(t, "c")
	run.Metrics["returns"].(map[string]any)["sharpe_convention"] = "annualized"
	if _, ok := p.Enrich(run).Flat.Lookup("live_vs_backtest_sharpe_ratio"); ok {
		t.Error("decay ratio across conventions")
	}
}

// flatValue returns the value of name in flat, 0 when absent.
func flatValue(flat *metrics.Flat, name string) float64 {
	v, _ := flat.Lookup(name)
	return v
}
