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
	var (
		e    engine
		outs [1]StrategyOutcome
		hdr  SetOutcome
	)
	// The outcome keeps some of the engine's contents (the boxed stage, the
	// selected set), so escape analysis moves everything the engine points
	// to onto the heap: one allocation holds the candidate, its state and
	// what the outcome keeps.
	one := new(single)
	e.init(p, in.Stage, in.FailClosed, in.Previous, in.Correlations, "")
	e.cands = append(one.c[:0], newCand(in.StrategyID, in.Metrics, in.Flat))
	e.st = one.s[:]
	e.one = one
	e.run(in.PolicyVersion, &hdr, outs[:])
	return outs[0].Outcome
}

// EvaluateSet evaluates several strategies together, so that top-k,
// correlation, hysteresis and the cohort and live-monitoring rules act across
// the set (cohort evaluations, policy diffs).
func EvaluateSet(p *policy.Policy, in SetInput) SetOutcome {
	return evaluate(p, in, "")
}

// evaluate is EvaluateSet with a test hook: the rule named fault panics.
func evaluate(p *policy.Policy, in SetInput, fault string) SetOutcome {
	var e engine
	e.init(p, in.Stage, in.FailClosed, in.Previous, in.Correlations, fault)
	e.cands = make([]cand, 0, len(in.Candidates))
	// An index by id keeps large sets (policy diffs over history) linear.
	index := make(map[string]int, len(in.Candidates))
	for _, c := range in.Candidates {
		nc := newCand(c.StrategyID, c.Metrics, c.Flat)
		if j, ok := index[c.StrategyID]; ok {
			e.cands[j] = nc // a repeated id keeps its position and its last metrics
			continue
		}
		index[c.StrategyID] = len(e.cands)
		e.cands = append(e.cands, nc)
	}
	e.st = make([]candState, len(e.cands))
	out := SetOutcome{Strategies: make([]StrategyOutcome, len(e.cands))}
	e.run(in.PolicyVersion, &out, out.Strategies)
	return out
}

func newCand(id string, doc map[string]any, flat *metrics.Flat) cand {
	if flat == nil {
		flat = metrics.Flatten(doc)
	}
	return cand{id: id, doc: doc, flat: flat}
}

// run evaluates every candidate, writing each outcome to outs (parallel to
// e.cands), and fills the evaluation-level fields of out (not Strategies).
func (e *engine) run(policyVersion string, out *SetOutcome, outs []StrategyOutcome) {
	e.thresholds()
	e.selection()
	out.RulesetHash = e.m.RulesetHash()
	out.PolicySnapshot = e.m.Snapshot()
	var vp *[2]string
	if e.one != nil {
		vp = &e.one.vp
	}
	out.PolicyVersion, out.Profile = versionAndProfile(policyVersion, e.m.HasProfile, e.m.ProfileName, vp)
	out.RecommendedStage = RecommendedStage(e.m.ProfileName, e.stage)
	out.Selected = e.selected
	recorded := recordedFrom(out.RecommendedStage, e.m.ProfileName, e.stage)
	ext := e.extendedScope()
	perCand, live := e.detailsPerCandidate(&ext)
	e.arena.chunk = perCand + live // the first chunk also holds live monitoring's
	e.liveMonitoringScope(&ext)
	e.arena.chunk = perCand
	for i := range e.cands {
		results := make(Results, 0, 5+ext.count)
		results = appendResult(results, DataCurrency, e.protect(e.specDataCurrency(), func() RuleResult { return e.dataCurrency(i) }))
		results = appendResult(results, Sample, e.protect(e.specSample(), func() RuleResult { return e.sample(i) }))
		results = appendResult(results, Performance, e.protect(e.specPerformance(), func() RuleResult { return e.performance(i) }))
		results = appendResult(results, RiskConstraint, e.protect(e.specRiskConstraint(), func() RuleResult { return e.riskConstraint(i) }))
		results = appendResult(results, Robustness, e.protect(e.specRobustness(), func() RuleResult { return e.robustness(i) }))
		results = e.extended(i, &ext, results)
		active := e.st[i].active
		so := &outs[i]
		so.StrategyID = e.cands[i].id
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
	}
}

// appendResult appends the result r of the rule name to rs. It stores the
// result field by field: appending a whole NamedResult copies it with a
// bulk write barrier, which, while the collector marks, walks the type's
// pointer bitmap word by word (BenchmarkEvaluateWithFlatten: 51.5k → 51.0k
// instructions a run with GOGC=100, 37.5k → 37.4k with the collector off;
// 2–3% of its time in interleaved runs). TestAppendResultCopiesEveryField
// keeps it in step with RuleResult's fields.
func appendResult(rs Results, name string, r RuleResult) Results {
	if len(rs) == cap(rs) {
		return append(rs, NamedResult{name, r})
	}
	rs = rs[:len(rs)+1]
	d := &rs[len(rs)-1]
	d.Name = name
	d.Result.Status = r.Status
	d.Result.Severity = r.Severity
	d.Result.Owner = r.Owner
	d.Result.ReasonCode = r.ReasonCode
	d.Result.Reason = r.Reason
	d.Result.Tags = r.Tags
	d.Result.Details = r.Details
	return rs
}

// versionAndProfile returns the policy_version (nil when empty) and the
// profile (nil without profiles, else the name, possibly empty) of an
// evaluation, held in s, or in one allocation when s is nil.
func versionAndProfile(version string, hasProfile bool, profile string, s *[2]string) (*string, *string) {
	if version == "" && !hasProfile {
		return nil, nil
	}
	var v, p *string
	if s == nil {
		s = new([2]string)
	}
	if version != "" {
		s[0] = version
		v = &s[0]
	}
	if hasProfile {
		s[1] = profile
		p = &s[1]
	}
	return v, p
}

// cand is one strategy in scope.
type cand struct {
	id   string
	doc  map[string]any
	flat *metrics.Flat
}

// single holds, in one allocation, the engine's candidate and its state in
// an evaluation of one strategy ([Evaluate]), and what of the engine its
// outcome keeps: the selected set, the policy version and profile (three
// allocations before).
type single struct {
	c   [1]cand
	s   [1]candState
	sel [1]string
	vp  [2]string
}

// engine holds the state of one evaluation.
type engine struct {
	m        *policy.Materialized
	stage    string
	stageAny any    // stage as reported in details: the string, or nil
	mode     string // on_missing_metric
	cands    []cand
	prev     []string
	corrs    []Correlation
	fault    string

	arena      detailArena        // backs the details of every result
	dcRequired []string           // metrics of data-currency thresholds
	sampleTh   []policy.Threshold // sample-group thresholds
	st         []candState        // per candidate, parallel to cands
	selected   []string
	one        *single // the storage of an evaluation of one strategy, else nil
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

// init prepares the engine for a policy and a stage.
func (e *engine) init(p *policy.Policy, stage string, failClosed bool, previous []string, corrs []Correlation, fault string) {
	if p == nil {
		p = &policy.Policy{}
	}
	e.m = p.Materialize(stage, failClosed)
	e.stage = stage
	e.prev = previous
	e.corrs = corrs
	e.fault = fault
	e.mode = e.m.Validation.OnMissingMetric
	if stage != "" {
		e.stageAny = boxStage(stage)
	}
}

// thresholds evaluates every threshold for every candidate.
func (e *engine) thresholds() {
	e.dcRequired = e.m.DataCurrencyMetrics
	e.sampleTh = e.m.SampleThresholds
	for i := range e.cands {
		e.st[i].viol = checkThresholds(e.m.Thresholds, e.cands[i].flat, e.mode)
	}
}

// boxStage boxes a stage for details; the usual spellings box as constants,
// without allocating.
func boxStage(s string) any {
	switch s {
	case "backtest":
		return "backtest"
	case "paper":
		return "paper"
	case "shadow":
		return "shadow"
	case "live":
		return "live"
	}
	return s
}
