package rules

import (
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

// Evaluate evaluates one strategy under a policy (validation-core §7) and
// returns its share of the EvaluationRun: validation block, summary and
// validation health.
//
// p must be the resolved policy of the evaluation (see policy.Resolve; a world
// without any policy is rejected there, never evaluated). A nil p evaluates
// as the empty policy. Evaluate does not modify its arguments and is safe for
// concurrent use.
func Evaluate(p *policy.Policy, in Input) Outcome {
	set := SetInput{
		Stage:         in.Stage,
		PolicyVersion: in.PolicyVersion,
		FailClosed:    in.FailClosed,
		Candidates:    []Candidate{{StrategyID: in.StrategyID, Metrics: in.Metrics, Flat: in.Flat}},
		Previous:      in.Previous,
		Correlations:  in.Correlations,
	}
	return EvaluateSet(p, set).Strategies[0].Outcome
}

// EvaluateSet evaluates several strategies together, so that top-k,
// correlation, hysteresis and the cohort and live-monitoring rules act across
// the set (cohort evaluations, policy diffs).
func EvaluateSet(p *policy.Policy, in SetInput) SetOutcome {
	return evaluate(p, in, "")
}

// evaluate is EvaluateSet with a test hook: the rule named fault panics.
func evaluate(p *policy.Policy, in SetInput, fault string) SetOutcome {
	if p == nil {
		p = &policy.Policy{}
	}
	e := newEngine(p, in, fault)
	e.thresholds()
	e.selection()

	out := SetOutcome{
		RulesetHash:      e.m.RulesetHash(),
		PolicySnapshot:   e.m.Snapshot(),
		PolicyVersion:    optString(in.PolicyVersion),
		RecommendedStage: RecommendedStage(e.m.ProfileName, in.Stage),
		Selected:         e.selected,
		Strategies:       make([]StrategyOutcome, len(e.cands)),
	}
	if e.m.HasProfile {
		name := e.m.ProfileName
		out.Profile = &name
	}
	recorded := recordedRecommendedStage(e.m.ProfileName, in.Stage)
	ext := e.extendedScope()
	for i := range e.cands {
		results := make(Results, 0, 5+ext.count)
		results = append(results,
			NamedResult{DataCurrency, e.protect(e.specDataCurrency(), func() RuleResult { return e.dataCurrency(i) })},
			NamedResult{Sample, e.protect(e.specSample(), func() RuleResult { return e.sample(i) })},
			NamedResult{Performance, e.protect(e.specPerformance(), func() RuleResult { return e.performance(i) })},
			NamedResult{RiskConstraint, e.protect(e.specRiskConstraint(), func() RuleResult { return e.riskConstraint(i) })},
			NamedResult{Robustness, e.protect(e.specRobustness(), func() RuleResult { return e.robustness(i) })},
		)
		results = e.extended(i, ext, results)
		active := e.st[i].active
		so := StrategyOutcome{StrategyID: e.cands[i].id}
		so.Validation = Validation{
			PolicyVersion:  out.PolicyVersion,
			RulesetHash:    out.RulesetHash,
			Profile:        out.Profile,
			Results:        results,
			PolicySnapshot: out.PolicySnapshot,
		}
		so.Summary = Summary{
			Status:           SummaryStatus(results, active),
			RecommendedStage: recorded,
			Active:           active,
			ActiveSet:        out.Selected,
		}
		so.Health = ComputeHealth(e.cands[i].doc, results)
		out.Strategies[i] = so
	}
	return out
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// cand is one strategy in scope.
type cand struct {
	id   string
	doc  map[string]any
	flat metrics.Flat
}

// engine holds the state of one evaluation.
type engine struct {
	m        policy.Materialized
	stage    string
	stageAny any    // stage as reported in details: the string, or nil
	mode     string // on_missing_metric
	cands    []cand
	prev     []string
	corrs    []Correlation
	fault    string

	dcRequired []string           // metrics of data-currency thresholds
	sampleTh   []policy.Threshold // sample-group thresholds
	st         []candState        // per candidate, parallel to cands
	selected   []string
}

// candState is what thresholds and selection established for a candidate.
type candState struct {
	viol      []Violation // over all thresholds
	rank      int         // -1 when the candidate has no rank
	topkKept  bool
	blockedBy []blocker
	hys       string // "", "exit" or "enter"
	active    bool
}

func newEngine(p *policy.Policy, in SetInput, fault string) *engine {
	e := &engine{
		m:     p.Materialize(in.Stage, in.FailClosed),
		stage: in.Stage,
		prev:  in.Previous,
		corrs: in.Correlations,
		fault: fault,
	}
	e.mode = e.m.Validation.OnMissingMetric
	if in.Stage != "" {
		e.stageAny = in.Stage
	}
	e.cands = make([]cand, 0, len(in.Candidates))
	for _, c := range in.Candidates {
		flat := c.Flat
		if flat == nil {
			flat = metrics.Flatten(c.Metrics)
		}
		nc := cand{id: c.StrategyID, doc: c.Metrics, flat: flat}
		replaced := false
		for j := range e.cands {
			if e.cands[j].id == c.StrategyID {
				e.cands[j] = nc
				replaced = true
				break
			}
		}
		if !replaced {
			e.cands = append(e.cands, nc)
		}
	}
	return e
}

// thresholds evaluates every threshold for every candidate.
func (e *engine) thresholds() {
	e.dcRequired = e.m.DataCurrencyMetrics
	e.sampleTh = e.m.SampleThresholds
	e.st = make([]candState, len(e.cands))
	for i := range e.cands {
		e.st[i].viol = checkThresholds(e.m.Thresholds, e.cands[i].flat, e.mode)
	}
}
