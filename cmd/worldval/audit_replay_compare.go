package main

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
)

// replayDifference is one way a replayed completion differs from the stored
// one.
type replayDifference struct {
	// What names the field: "status", "rule performance", "metrics", …
	What string `json:"what"`
	// Stored and Replayed are the two values as text; "(none)" for absent.
	Stored   string `json:"stored"`
	Replayed string `json:"replayed"`
}

func (d replayDifference) String() string {
	return fmt.Sprintf("%s: stored %s, replayed %s", d.What, d.Stored, d.Replayed)
}

// storedCompletion is what a run's stream records of its evaluation: the
// verdict and the events appended with it.
type storedCompletion struct {
	verdict *events.EvaluationCompleted
	// metrics is the last MetricsComputed before the verdict, nil if none.
	metrics *events.MetricsComputed
	// rules are the RuleEvaluated before the verdict, in stream order.
	rules []events.RuleEvaluated
}

// maxMetricPaths is how many differing metric paths a difference names.
const maxMetricPaths = 5

// metricTolerance is the relative tolerance of a metric comparison: the
// same code on the same inputs gives the same bits, but a store written on
// a platform that fuses multiply-adds may differ from this one in the last
// place, which is no difference of decision.
const metricTolerance = 1e-9

// compareCompletion lists how the replayed completion differs from the
// stored one, in decisions: the verdict's fields, the policy version the
// submission resolves to now, each rule's status, severity and reason
// code, and the metrics document (numbers within [metricTolerance]). Times,
// ids, actors, rule details and the policy snapshot (its hash is compared)
// are not.
func compareCompletion(stored storedCompletion, replayed evaluationrun.Complete, resolved int) []replayDifference {
	var diffs []replayDifference
	add := func(what, s, r string) {
		if s != r {
			diffs = append(diffs, replayDifference{What: what, Stored: orNone(s), Replayed: orNone(r)})
		}
	}
	sv, rv := stored.verdict, &replayed.Verdict
	add("status", sv.Status, rv.Status)
	add("recommended_stage", sv.RecommendedStage, rv.RecommendedStage)
	add("active", strconv.FormatBool(sv.Active), strconv.FormatBool(rv.Active))
	add("active_set", strings.Join(sv.ActiveSet, ","), strings.Join(rv.ActiveSet, ","))
	add("policy_version", versionText(sv.PolicyVersion), versionText(rv.PolicyVersion))
	if resolved != sv.PolicyVersion {
		add("policy_version the submission resolves to", versionText(sv.PolicyVersion), versionText(resolved))
	}
	add("ruleset_hash", sv.RulesetHash, rv.RulesetHash)
	add("profile", sv.Profile, rv.Profile)
	add("note", sv.Note, rv.Note)
	diffs = append(diffs, compareRules(stored.rules, replayed.Rules)...)
	if stored.metrics == nil {
		add("metrics", "", "a MetricsComputed")
	} else {
		diffs = append(diffs, compareMetrics(stored.metrics.Metrics, replayed.Metrics.Metrics)...)
	}
	return diffs
}

// ruleOutcome is what a rule decided: the part of a RuleResult compared.
type ruleOutcome struct {
	Status     string `json:"status"`
	Severity   string `json:"severity"`
	ReasonCode string `json:"reason_code"`
}

func (o ruleOutcome) String() string {
	return o.Status + "/" + o.Severity + "/" + o.ReasonCode
}

func outcomes(rules []events.RuleEvaluated) (names []string, byName map[string]string) {
	byName = make(map[string]string, len(rules))
	for _, r := range rules {
		var o ruleOutcome
		text := "(undecodable result)"
		if err := json.Unmarshal(r.Result, &o); err == nil {
			text = o.String()
		}
		if _, dup := byName[r.Rule]; dup {
			text += " (recorded twice)"
		} else {
			names = append(names, r.Rule)
		}
		byName[r.Rule] = text
	}
	return names, byName
}

// compareRules compares the rules' outcomes by name, in the replayed order
// and then the stored rules the replay does not produce.
func compareRules(stored, replayed []events.RuleEvaluated) []replayDifference {
	sNames, s := outcomes(stored)
	rNames, r := outcomes(replayed)
	var diffs []replayDifference
	for _, name := range rNames {
		if s[name] != r[name] {
			diffs = append(diffs, replayDifference{What: "rule " + name, Stored: orNone(s[name]), Replayed: r[name]})
		}
	}
	for _, name := range sNames {
		if _, ok := r[name]; !ok {
			diffs = append(diffs, replayDifference{What: "rule " + name, Stored: s[name], Replayed: "(none)"})
		}
	}
	return diffs
}

// metricDiff is one path at which two metrics documents differ.
type metricDiff struct {
	path             string
	stored, replayed any
	// absent marks a side that has no value at path.
	storedAbsent, replayedAbsent bool
}

// compareMetrics lists the paths at which two metrics documents differ, in
// path order: at most [maxMetricPaths] with both values, then how many more.
func compareMetrics(stored, replayed json.RawMessage) []replayDifference {
	var s, r any
	if err := json.Unmarshal(stored, &s); err != nil {
		return []replayDifference{{What: "metrics", Stored: "a document that does not decode: " + err.Error(), Replayed: "a document"}}
	}
	if err := json.Unmarshal(replayed, &r); err != nil {
		return []replayDifference{{What: "metrics", Stored: "a document", Replayed: "a document that does not decode: " + err.Error()}}
	}
	var found []metricDiff
	diffJSON("", s, r, false, false, &found)
	sort.Slice(found, func(i, j int) bool { return found[i].path < found[j].path })
	var diffs []replayDifference
	for i, d := range found {
		if i == maxMetricPaths {
			diffs = append(diffs, replayDifference{What: fmt.Sprintf("… and %d more metric paths", len(found)-i), Stored: "…", Replayed: "…"})
			break
		}
		diffs = append(diffs, replayDifference{What: "metric " + d.path, Stored: jsonValueText(d.stored, d.storedAbsent), Replayed: jsonValueText(d.replayed, d.replayedAbsent)})
	}
	return diffs
}

// maxValueText bounds a value shown in a difference.
const maxValueText = 80

func jsonValueText(v any, absent bool) string {
	if absent {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > maxValueText {
		return string(b[:maxValueText]) + "…"
	}
	return string(b)
}

// diffJSON appends to out every path at which a and b differ; aAbsent and
// bAbsent mark a side without a member there.
func diffJSON(path string, a, b any, aAbsent, bAbsent bool, out *[]metricDiff) {
	at := path
	if at == "" {
		at = "(document)"
	}
	differ := func() { *out = append(*out, metricDiff{at, a, b, aAbsent, bAbsent}) }
	if aAbsent || bAbsent {
		differ()
		return
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			differ()
			return
		}
		for k, x := range av {
			y, inB := bv[k]
			diffJSON(joinPath(path, k), x, y, false, !inB, out)
		}
		for k, y := range bv {
			if _, inA := av[k]; !inA {
				diffJSON(joinPath(path, k), nil, y, true, false, out)
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			differ()
			return
		}
		for i := range av {
			diffJSON(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], false, false, out)
		}
	case float64:
		if bv, ok := b.(float64); !ok || !closeEnough(av, bv) {
			differ()
		}
	default:
		if a != b {
			differ()
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func closeEnough(a, b float64) bool {
	return a == b || math.Abs(a-b) <= metricTolerance*math.Max(math.Abs(a), math.Abs(b))
}

func versionText(v int) string {
	if v == 0 {
		return "(none)"
	}
	return strconv.Itoa(v)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
