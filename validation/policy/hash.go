package policy

import (
	"encoding/hex"

	"github.com/worldval/worldval/validation/policy/jcs"
	"lukechampine.com/blake3"
)

// HashPrefix starts every ruleset hash.
const HashPrefix = "blake3:"

// RulesetDocument returns the document R of validation-core §9.5 that the
// ruleset hash covers: the chosen profile and its configuration, the
// materialized thresholds, the merged selection keys, the effective validation
// modes and the extended blocks, with null fields omitted.
func (m *Materialized) RulesetDocument() map[string]any {
	r := map[string]any{
		"thresholds": thresholdsDoc(m.Thresholds),
		"validation": map[string]any{
			"on_error":          m.Validation.OnError,
			"on_missing_metric": m.Validation.OnMissingMetric,
		},
	}
	if m.HasProfile {
		r["profile"] = m.ProfileName
		if m.Profile != nil {
			r["profile_config"] = profileDoc(m.Profile)
		}
	}
	if t := m.TopK; t != nil {
		r["top_k"] = map[string]any{"metric": t.Metric, "k": t.K}
	}
	if c := m.Correlation; c != nil {
		r["correlation"] = map[string]any{"max": c.Max}
	}
	if h := m.Hysteresis; h != nil {
		r["hysteresis"] = map[string]any{"metric": h.Metric, "enter": h.Enter, "exit": h.Exit}
	}
	if c := m.Cohort; c != nil {
		o := obj{}
		o.num("sharpe_median_min", c.SharpeMedianMin)
		o.num("dsr_median_min", c.DSRMedianMin)
		o.int("top_k", c.TopK)
		o.str("top_k_metric", c.TopKMetric)
		o.num("extreme_sharpe_max", c.ExtremeSharpeMax)
		o.meta(c.Meta)
		r["cohort"] = map[string]any(o)
	}
	if c := m.Portfolio; c != nil {
		o := obj{}
		o.num("max_incremental_var_99", c.MaxIncrementalVaR99)
		o.num("max_incremental_es_99", c.MaxIncrementalES99)
		o.num("min_portfolio_sharpe_uplift", c.MinPortfolioSharpeUplift)
		o.num("default_correlation", c.DefaultCorrelation)
		o.num("z_99", c.Z99)
		o.num("es_factor", c.ESFactor)
		o.meta(c.Meta)
		r["portfolio"] = map[string]any(o)
	}
	if c := m.Benchmark; c != nil {
		o := obj{}
		o.num("min_vs_benchmark_sharpe", c.MinVsBenchmarkSharpe)
		o.meta(c.Meta)
		r["benchmark"] = map[string]any(o)
	}
	if c := m.Stress; c != nil {
		o := obj{}
		if c.Scenarios != nil {
			sc := make(map[string]any, len(c.Scenarios))
			for _, s := range c.Scenarios {
				so := obj{}
				so.num("dd_max", s.DDMax)
				so.num("es_99", s.ES99)
				so.num("var_99", s.VaR99)
				sc[s.Name] = map[string]any(so)
			}
			o["scenarios"] = sc
		}
		o.meta(c.Meta)
		r["stress"] = map[string]any(o)
	}
	if c := m.PaperShadowConsistency; c != nil {
		o := obj{}
		if c.Stages != nil {
			o["stages"] = append([]string{}, c.Stages...)
		}
		o.num("min_sharpe_ratio", c.MinSharpeRatio)
		o.num("max_drawdown_ratio", c.MaxDrawdownRatio)
		o.num("max_var_p01_ratio", c.MaxVaRP01Ratio)
		o.num("max_es_p01_ratio", c.MaxESP01Ratio)
		o.meta(c.Meta)
		r["paper_shadow_consistency"] = map[string]any(o)
	}
	if c := m.LiveMonitoring; c != nil {
		o := obj{}
		o.int("lookback_days", c.LookbackDays)
		o.num("decay_threshold", c.DecayThreshold)
		o.num("sharpe_min", c.SharpeMin)
		o.num("dd_max", c.DDMax)
		o.num("es_max", c.ESMax)
		o.meta(c.Meta)
		r["live_monitoring"] = map[string]any(o)
	}
	return r
}

// obj builds a JSON object that omits unset fields.
type obj map[string]any

func (o obj) num(key string, v *float64) {
	if v != nil {
		o[key] = *v
	}
}

// str sets a string that is not empty: "" means "not set".
func (o obj) str(key, v string) {
	if v != "" {
		o[key] = v
	}
}

func (o obj) int(key string, v *int) {
	if v != nil {
		o[key] = *v
	}
}

func (o obj) meta(m Meta) {
	if m.Severity != "" {
		o["severity"] = string(m.Severity)
	}
	if m.Owner != "" {
		o["owner"] = string(m.Owner)
	}
}

func thresholdsDoc(ts []Threshold) map[string]any {
	out := make(map[string]any, len(ts))
	for _, t := range ts {
		o := obj{"metric": t.Metric}
		o.num("min", t.Min)
		o.num("max", t.Max)
		out[t.Key] = map[string]any(o)
	}
	return out
}

func profileDoc(p *Profile) map[string]any {
	out := map[string]any{}
	if s := p.Sample; s != nil {
		o := obj{}
		o.num("min_effective_years", s.MinEffectiveYears)
		o.int("min_trades_total", s.MinTradesTotal)
		o.meta(s.Meta)
		out["sample"] = map[string]any(o)
	}
	if s := p.Performance; s != nil {
		o := obj{}
		o.num("sharpe_min", s.SharpeMin)
		o.num("max_dd_max", s.MaxDDMax)
		o.num("gain_to_pain_min", s.GainToPainMin)
		o.meta(s.Meta)
		out["performance"] = map[string]any(o)
	}
	if s := p.Robustness; s != nil {
		o := obj{}
		o.num("dsr_min", s.DSRMin)
		o.num("cv_sharpe_gap_max", s.CVSharpeGapMax)
		o.meta(s.Meta)
		out["robustness"] = map[string]any(o)
	}
	if s := p.Risk; s != nil {
		o := obj{}
		o.num("adv_utilization_p95_max", s.ADVUtilizationP95Max)
		o.num("participation_rate_p95_max", s.ParticipationRateP95Max)
		o.meta(s.Meta)
		out["risk"] = map[string]any(o)
	}
	return out
}

// rulesetHash serializes R with JCS and hashes it. Every value in R is a
// finite number, a valid UTF-8 string or a container of those (the parser
// guarantees it), so encoding cannot fail for a parsed policy; a hand-built
// policy with a NaN bound hashes its error text instead, which still differs
// from every valid rule set.
func rulesetHash(m *Materialized) ([]byte, string) {
	doc, err := jcs.Encode(m.RulesetDocument())
	if err != nil {
		doc = []byte("invalid ruleset: " + err.Error())
	}
	sum := blake3.Sum256(doc)
	return doc, HashPrefix + hex.EncodeToString(sum[:])
}

// hashCache holds the materialization of every profile of a parsed policy, so
// that evaluation neither rebuilds thresholds nor re-hashes per run.
type hashCache struct {
	entries  map[cacheKey]*Materialized
	byNorm   map[string]string // normalized profile name -> name
	stageMap map[string]string // normalized stage key -> profile name
	// byStage resolves the usual stage spellings without normalizing or
	// choosing again; index 0 is lenient, 1 fail-closed.
	byStage [2]map[string]*Materialized
}

// commonStages are the stage spellings resolved ahead of time.
var commonStages = [...]string{"", "backtest", "paper", "live", "shadow", "dryrun",
	"backtest_only", "paper_only", "paper_ok_live_candidate"}

type cacheKey struct {
	name       string
	hasProfile bool
	failClosed bool
}

func newHashCache(p *Policy) *hashCache {
	c := &hashCache{
		entries:  make(map[cacheKey]*Materialized, 2*len(p.Profiles)+2),
		byNorm:   profileIndex(p),
		stageMap: stageIndex(p),
	}
	for i, fc := range [...]bool{false, true} {
		if len(p.Profiles) == 0 {
			c.entries[cacheKey{"", false, fc}] = p.materialize("", false, fc)
		} else {
			for _, pr := range p.Profiles {
				c.entries[cacheKey{pr.Name, true, fc}] = p.materialize(pr.Name, true, fc)
			}
		}
		c.byStage[i] = make(map[string]*Materialized, len(commonStages))
	}
	p.cache = c
	for i, fc := range [...]bool{false, true} {
		for _, s := range commonStages {
			name, ok := p.ChooseProfile(s)
			c.byStage[i][s] = c.entries[cacheKey{name, ok, fc}]
		}
	}
	return c
}

func (c *hashCache) get(name string, hasProfile, failClosed bool) (*Materialized, bool) {
	m, ok := c.entries[cacheKey{name, hasProfile, failClosed}]
	return m, ok
}
