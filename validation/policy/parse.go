package policy

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

// Top-level keys of the policy document that the engine reads or knowingly
// ignores. Anything else is accepted with a warning (validation-core §6.8).
var (
	topLevelKeys = []string{
		"validation_profiles", "default_profile_by_stage", "validation",
		"thresholds", "top_k", "correlation", "hysteresis", "selection",
		"cohort", "portfolio", "benchmark", "stress", "paper_shadow_consistency", "live_monitoring",
		"governance", "campaign", "risk_profile",
		"version", "policy_version", "name", "description", "world",
	}
	wrapperKeys    = []string{"policy", "preset", "preset_mode", "preset_version", "overrides", "preset_overrides", "version", "policy_version"}
	validationKeys = []string{"on_error", "on_missing_metric"}
)

// Parse decodes a policy document, YAML (1.2 core schema) or JSON, validates
// it strictly (CD6, validation-core §6.8) and returns the typed policy.
//
// A stored-policy wrapper {"policy": {...}, "preset": …} is unwrapped. On a
// rejected document the error is an [*Error] listing every problem with its
// JSON path and code (E_POLICY_INVALID, E_POLICY_UNKNOWN_KEY,
// E_POLICY_INVALID_VALUE); the HTTP layer answers 422 with it.
//
// Pass the document's raw bytes (for a policy embedded in a JSON request, its
// json.RawMessage): profile fallback depends on key order, which a decoded
// map[string]any has lost.
func Parse(data []byte) (*Policy, error) {
	root, err := decodeDocument(data)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, &Error{Problems: []Problem{{Path: se.path, Code: CodeInvalid, Message: se.err.Error()}}}
		}
		return nil, &Error{Problems: []Problem{{Code: CodeInvalid, Message: err.Error()}}}
	}
	d := &decoder{}
	p := d.document(root)
	if len(d.problems) > 0 {
		return nil, &Error{Problems: d.problems}
	}
	p.Warnings = d.warnings
	p.cache = newHashCache(p)
	return p, nil
}

// decodeDocument picks JSON for documents that start with '{' and decode as
// JSON, and YAML otherwise (a flow mapping such as "{a: 1}" is YAML).
func decodeDocument(data []byte) (*node, error) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		n, jerr := decodeJSON(trimmed)
		if jerr == nil {
			return n, nil
		}
		var se *syntaxError
		if errors.As(jerr, &se) && errors.Is(se.err, errDuplicateKey) {
			return nil, jerr
		}
		n, yerr := decodeYAML(data)
		if yerr != nil {
			return nil, jerr
		}
		return n, nil
	}
	return decodeYAML(data)
}

// document validates the root mapping, unwrapping a stored-policy wrapper.
func (d *decoder) document(root *node) *Policy {
	p := &Policy{}
	if root.isNull() {
		d.fail("", CodeInvalid, "empty document")
		return p
	}
	if root.kind != kMap {
		d.fail("", CodeInvalid, "policy must be a mapping, got "+root.kind.String())
		return p
	}
	path := ""
	label := versionLabel(root)
	if inner := root.get("policy"); inner != nil {
		for _, k := range root.keys {
			if !contains(wrapperKeys, k) {
				d.warn(childPath("", k), "unknown key ignored")
			}
		}
		path = "policy"
		if inner.kind != kMap {
			d.invalid(path, "must be a mapping, got "+inner.kind.String())
			return p
		}
		root = inner
		if label == "" {
			label = versionLabel(root)
		}
	}
	d.body(p, root, path)
	p.VersionLabel = label
	return p
}

// body reads the policy mapping n located at path.
func (d *decoder) body(p *Policy, n *node, path string) {
	for _, k := range n.keys {
		switch {
		case k == "data_currency" || k == "position_policy":
			d.warn(childPath(path, k), "ignored: not a validation input in v1")
		case !contains(topLevelKeys, k):
			d.warn(childPath(path, k), "unknown key ignored")
		}
	}
	if v := n.get("validation_profiles"); !v.isNull() {
		d.each(v, childPath(path, "validation_profiles"), func(name string, pn *node, pp string) {
			p.Profiles = append(p.Profiles, d.profile(name, pn, pp))
		})
	}
	if v := n.get("default_profile_by_stage"); !v.isNull() {
		d.each(v, childPath(path, "default_profile_by_stage"), func(stage string, pn *node, pp string) {
			if name, ok := d.str(pn, pp); ok {
				p.DefaultProfileByStage = append(p.DefaultProfileByStage, StageProfile{Stage: stage, Profile: name})
			}
		})
	}
	if v := n.get("validation"); !v.isNull() {
		vp := childPath(path, "validation")
		if d.object(v, vp, validationKeys...) {
			p.Validation.OnError = d.oneOf(v.get("on_error"), childPath(vp, "on_error"), ModeFail, ModeWarn)
			p.Validation.OnMissingMetric = d.oneOf(v.get("on_missing_metric"), childPath(vp, "on_missing_metric"), ModeFail, ModeWarn, ModeIgnore)
		}
	}
	top := d.legacyKeys(n, path)
	var sel legacy
	if v := n.get("selection"); !v.isNull() {
		sp := childPath(path, "selection")
		if d.object(v, sp, selectionKeys...) {
			sel = d.legacyKeys(v, sp)
		}
	}
	merged := mergeLegacy(top, sel)
	p.Thresholds, p.TopK, p.Correlation, p.Hysteresis = merged.thresholds, merged.topK, merged.correlation, merged.hysteresis

	if v := n.get("cohort"); !v.isNull() {
		p.Cohort = d.cohort(v, childPath(path, "cohort"))
	}
	if v := n.get("portfolio"); !v.isNull() {
		p.Portfolio = d.portfolio(v, childPath(path, "portfolio"))
	}
	if v := n.get("benchmark"); !v.isNull() {
		p.Benchmark = d.benchmark(v, childPath(path, "benchmark"))
	}
	if v := n.get("stress"); !v.isNull() {
		p.Stress = d.stress(v, childPath(path, "stress"))
	}
	if v := n.get("paper_shadow_consistency"); !v.isNull() {
		p.PaperShadowConsistency = d.paperShadow(v, childPath(path, "paper_shadow_consistency"))
	}
	if v := n.get("live_monitoring"); !v.isNull() {
		p.LiveMonitoring = d.liveMonitoring(v, childPath(path, "live_monitoring"))
	}
	if v := n.get("governance"); !v.isNull() {
		p.Governance = d.governance(v, childPath(path, "governance"))
	}
	for _, sp := range p.DefaultProfileByStage {
		if resolveProfile(p, sp.Profile) == "" {
			d.warn(childPath(childPath(path, "default_profile_by_stage"), sp.Stage), "names no defined profile: "+strconv.Quote(sp.Profile))
		}
	}
}

// governance validates governance.live_promotion.mode; other governance
// settings do not affect validation and are not checked.
func (d *decoder) governance(n *node, path string) *Governance {
	if n.kind != kMap {
		d.invalid(path, "must be a mapping, got "+n.kind.String())
		return nil
	}
	g := &Governance{}
	if lp := n.get("live_promotion"); !lp.isNull() {
		lpp := childPath(path, "live_promotion")
		if lp.kind != kMap {
			d.invalid(lpp, "must be a mapping, got "+lp.kind.String())
			return g
		}
		g.LivePromotionMode = "manual_approval"
		if m := d.oneOf(lp.get("mode"), childPath(lpp, "mode"), "disabled", "manual_approval", "auto_apply"); m != "" {
			g.LivePromotionMode = m
		}
	}
	return g
}

// versionLabel renders the policy_version (else version) metadata key.
func versionLabel(n *node) string {
	for _, key := range []string{"policy_version", "version"} {
		v := n.get(key)
		switch {
		case v.isNull():
			continue
		case v.kind == kString:
			return v.text
		case v.kind == kNumber && v.finite() && v.num == math.Trunc(v.num) && math.Abs(v.num) <= maxExactInt:
			return strconv.FormatInt(int64(v.num), 10)
		case v.kind == kNumber:
			return v.text
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
