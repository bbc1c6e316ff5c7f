package events

// Fast paths of the evaluation-run payloads every verdict stores (see
// fastpayload.go). Each encoder writes the struct's fields in declaration
// order under their tags, omitting the omitempty ones that are empty; each
// decoder accepts the members under their exact tags, each at most once.

func (p EvaluationRunSubmitted) fastJSON() ([]byte, bool) {
	w := newObjectWriter(256 + 12*len(p.Returns) + len(p.Metrics) + len(p.Params))
	w.str("world_id", p.WorldID)
	w.str("strategy_id", p.StrategyID)
	w.str("run_id", p.RunID)
	w.str("stage", p.Stage)
	w.str("risk_tier", p.RiskTier)
	if p.ModelCardVersion != "" {
		w.str("model_card_version", p.ModelCardVersion)
	}
	if p.CampaignID != "" {
		w.str("campaign_id", p.CampaignID)
	}
	if len(p.Metrics) > 0 {
		w.raw("metrics", p.Metrics)
	}
	if len(p.Returns) > 0 {
		w.returns("returns", p.Returns)
	}
	if len(p.Params) > 0 {
		w.raw("params", p.Params)
	}
	if p.PolicyVersion != 0 {
		w.int("policy_version", p.PolicyVersion)
	}
	w.str("request_hash", p.RequestHash)
	if p.SubmittedBy != "" {
		w.str("submitted_by", p.SubmittedBy)
	}
	return w.end()
}

func (p *EvaluationRunSubmitted) decodeFast(body []byte) bool {
	var out EvaluationRunSubmitted
	var seen fieldSet
	ok := readObject(body, func(name, v []byte) bool {
		switch string(name) {
		case "world_id":
			return seen.first(0) && readName(v, &out.WorldID)
		case "strategy_id":
			return seen.first(1) && readName(v, &out.StrategyID)
		case "run_id":
			return seen.first(2) && readString(v, &out.RunID)
		case "stage":
			return seen.first(3) && readName(v, &out.Stage)
		case "risk_tier":
			return seen.first(4) && readName(v, &out.RiskTier)
		case "model_card_version":
			return seen.first(5) && readString(v, &out.ModelCardVersion)
		case "campaign_id":
			return seen.first(6) && readString(v, &out.CampaignID)
		case "metrics":
			return seen.first(7) && readRaw(v, &out.Metrics)
		case "returns":
			return seen.first(8) && readReturns(v, &out.Returns)
		case "params":
			return seen.first(9) && readRaw(v, &out.Params)
		case "policy_version":
			return seen.first(10) && readInt(v, &out.PolicyVersion)
		case "request_hash":
			return seen.first(11) && readString(v, &out.RequestHash)
		case "submitted_by":
			return seen.first(12) && readString(v, &out.SubmittedBy)
		}
		return false
	})
	if ok {
		*p = out
	}
	return ok
}

func (p MetricsComputed) fastJSON() ([]byte, bool) {
	w := newObjectWriter(64 + len(p.Metrics) + 48*len(p.Derivations) + len(p.Inputs))
	w.raw("metrics", p.Metrics)
	if len(p.Derivations) > 0 {
		w.strings("derivations", p.Derivations)
	}
	if len(p.Inputs) > 0 {
		w.raw("inputs", p.Inputs)
	}
	return w.end()
}

func (p *MetricsComputed) decodeFast(body []byte) bool {
	var out MetricsComputed
	var seen fieldSet
	ok := readObject(body, func(name, v []byte) bool {
		switch string(name) {
		case "metrics":
			return seen.first(0) && readRaw(v, &out.Metrics)
		case "derivations":
			return seen.first(1) && readStrings(v, &out.Derivations)
		case "inputs":
			return seen.first(2) && readRaw(v, &out.Inputs)
		}
		return false
	})
	if ok {
		*p = out
	}
	return ok
}

func (p RuleEvaluated) fastJSON() ([]byte, bool) {
	w := newObjectWriter(160 + len(p.Rule) + len(p.Result) + len(p.RulesetHash) + len(p.Profile))
	w.str("rule", p.Rule)
	w.raw("result", p.Result)
	w.int("policy_version", p.PolicyVersion)
	w.str("ruleset_hash", p.RulesetHash)
	if p.Profile != "" {
		w.str("profile", p.Profile)
	}
	return w.end()
}

func (p *RuleEvaluated) decodeFast(body []byte) bool {
	var out RuleEvaluated
	var seen fieldSet
	ok := readObject(body, func(name, v []byte) bool {
		switch string(name) {
		case "rule":
			return seen.first(0) && readName(v, &out.Rule)
		case "result":
			return seen.first(1) && readRaw(v, &out.Result)
		case "policy_version":
			return seen.first(2) && readInt(v, &out.PolicyVersion)
		case "ruleset_hash":
			return seen.first(3) && readName(v, &out.RulesetHash)
		case "profile":
			return seen.first(4) && readName(v, &out.Profile)
		}
		return false
	})
	if ok {
		*p = out
	}
	return ok
}

func (p EvaluationCompleted) fastJSON() ([]byte, bool) {
	w := newObjectWriter(256 + len(p.RulesetHash) + len(p.ValidationHealth) + len(p.PolicySnapshot) + len(p.Note))
	w.str("status", p.Status)
	w.str("recommended_stage", p.RecommendedStage)
	w.bool("active", p.Active)
	if len(p.ActiveSet) > 0 {
		w.strings("active_set", p.ActiveSet)
	}
	w.int("policy_version", p.PolicyVersion)
	w.str("ruleset_hash", p.RulesetHash)
	if p.Profile != "" {
		w.str("profile", p.Profile)
	}
	if len(p.ValidationHealth) > 0 {
		w.raw("validation_health", p.ValidationHealth)
	}
	if len(p.PolicySnapshot) > 0 {
		w.raw("policy_snapshot", p.PolicySnapshot)
	}
	if p.Note != "" {
		w.str("note", p.Note)
	}
	return w.end()
}

func (p *EvaluationCompleted) decodeFast(body []byte) bool {
	var out EvaluationCompleted
	var seen fieldSet
	ok := readObject(body, func(name, v []byte) bool {
		switch string(name) {
		case "status":
			return seen.first(0) && readName(v, &out.Status)
		case "recommended_stage":
			return seen.first(1) && readName(v, &out.RecommendedStage)
		case "active":
			return seen.first(2) && readBool(v, &out.Active)
		case "active_set":
			return seen.first(3) && readStrings(v, &out.ActiveSet)
		case "policy_version":
			return seen.first(4) && readInt(v, &out.PolicyVersion)
		case "ruleset_hash":
			return seen.first(5) && readName(v, &out.RulesetHash)
		case "profile":
			return seen.first(6) && readName(v, &out.Profile)
		case "validation_health":
			return seen.first(7) && readRaw(v, &out.ValidationHealth)
		case "policy_snapshot":
			return seen.first(8) && readRaw(v, &out.PolicySnapshot)
		case "note":
			return seen.first(9) && readString(v, &out.Note)
		}
		return false
	})
	if ok {
		*p = out
	}
	return ok
}

// The fast paths must stay in step with the payload types: a field added to
// one of them without its fast path would be dropped by the encoder or
// refused by the decoder. TestFastPathsCoverEveryField checks the field
// lists; these assertions check the method sets.
var (
	_ fastEncoder = EvaluationRunSubmitted{}
	_ fastEncoder = MetricsComputed{}
	_ fastEncoder = RuleEvaluated{}
	_ fastEncoder = EvaluationCompleted{}
	_ fastDecoder = (*EvaluationRunSubmitted)(nil)
	_ fastDecoder = (*MetricsComputed)(nil)
	_ fastDecoder = (*RuleEvaluated)(nil)
	_ fastDecoder = (*EvaluationCompleted)(nil)
)
