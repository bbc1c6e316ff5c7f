package evaluation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

// RunFile is the offline form of a submission, as `worldval evaluate --run`
// and `worldval policy diff --runs-dir` read it: the run's identity, its
// metrics and/or its return series, and the derivation parameters.
type RunFile struct {
	WorldID    string
	StrategyID string
	RunID      string
	// Stage and RiskTier are optional; a command-line stage wins.
	Stage    string
	RiskTier string
	// Metrics is the submitted metrics document (nil when absent).
	Metrics map[string]any
	// Returns is the cleaned return series; HasReturns tells whether the
	// file carried one (an empty series still counts, §4.1).
	Returns    []float64
	HasReturns bool
	// Params are the derivation parameters.
	Params metrics.Params
}

// runFileKeys are the keys a run file may hold.
var runFileKeys = []string{"world_id", "strategy_id", "run_id", "stage", "risk_tier", "metrics", "returns", "series", "params"}

// paramKeys are the keys of the params object.
var paramKeys = []string{"periods_per_year", "risk_free_rate", "transaction_cost", "search_intensity"}

// DecodeRunFile parses a run file. It is strict: unknown keys, wrong types,
// non-numeric returns and a file with neither metrics nor returns are errors
// of type *FieldError naming the offending path.
func DecodeRunFile(data []byte) (RunFile, error) {
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return RunFile{}, &FieldError{Path: "run", Message: "not a JSON object: " + err.Error()}
	}
	if raw == nil {
		return RunFile{}, &FieldError{Path: "run", Message: "not a JSON object"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return RunFile{}, &FieldError{Path: "run", Message: "trailing data after the JSON object"}
	}
	if k := unknownKey(raw, runFileKeys); k != "" {
		return RunFile{}, &FieldError{Path: k, Message: "unknown key (known: " + strings.Join(runFileKeys, ", ") + ")"}
	}
	var rf RunFile
	for key, dst := range map[string]*string{"world_id": &rf.WorldID, "strategy_id": &rf.StrategyID, "run_id": &rf.RunID, "stage": &rf.Stage, "risk_tier": &rf.RiskTier} {
		if v, ok := raw[key]; ok && v != nil {
			s, ok := v.(string)
			if !ok {
				return RunFile{}, &FieldError{Path: key, Message: "must be a string, got " + jsonType(v)}
			}
			*dst = s
		}
	}
	if rf.Stage != "" && !policy.KnownStage(rf.Stage) {
		return RunFile{}, &FieldError{Path: "stage", Message: fmt.Sprintf("%q is not a stage; use one of %s", rf.Stage, strings.Join(policy.Stages(), ", "))}
	}
	if v, ok := raw["metrics"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return RunFile{}, &FieldError{Path: "metrics", Message: "must be an object, got " + jsonType(v)}
		}
		m = toFloats(m).(map[string]any)
		if fe := ValidateMetrics("metrics", m); fe != nil {
			return RunFile{}, fe
		}
		rf.Metrics = m
	}
	if err := rf.decodeSeries(raw); err != nil {
		return RunFile{}, err
	}
	if err := rf.decodeParams(raw["params"]); err != nil {
		return RunFile{}, err
	}
	if rf.Metrics == nil && !rf.HasReturns {
		return RunFile{}, &FieldError{Path: "run", Message: "has neither metrics nor returns"}
	}
	return rf, nil
}

func (rf *RunFile) decodeSeries(raw map[string]any) error {
	r, hasR := raw["returns"]
	s, hasS := raw["series"]
	if hasR && hasS {
		return &FieldError{Path: "series", Message: "give returns or series, not both"}
	}
	if hasR && r != nil {
		vals, err := DecodeSeries("returns", r)
		if err != nil {
			return err
		}
		rf.Returns, rf.HasReturns = vals, true
	}
	if hasS && s != nil {
		obj, ok := s.(map[string]any)
		if !ok {
			return &FieldError{Path: "series", Message: "must be an object with returns, pnl or equity, got " + jsonType(s)}
		}
		for k, v := range obj {
			switch k {
			case "returns", "pnl", "equity":
				if _, err := DecodeSeries("series."+k, v); err != nil {
					return err
				}
			default:
				return &FieldError{Path: "series." + k, Message: "unknown key (known: returns, pnl, equity)"}
			}
		}
		vals, ok := metrics.SeriesReturns(toFloats(obj).(map[string]any))
		if ok {
			rf.Returns, rf.HasReturns = vals, true
		}
	}
	return nil
}

// DecodeSeries checks a decoded JSON value as a return series: an array whose
// elements are numbers or null (skipped, §4.1). Anything else — a string, a
// boolean, a nested array — is an error naming the element.
func DecodeSeries(path string, v any) ([]float64, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, &FieldError{Path: path, Message: "must be an array of numbers, got " + jsonType(v)}
	}
	out := make([]float64, 0, len(arr))
	for i, e := range arr {
		if e == nil {
			continue
		}
		x, ok := metrics.Number(e)
		if !ok {
			if _, isBool := e.(bool); !isBool && isNumber(e) {
				return nil, &FieldError{Path: fmt.Sprintf("%s[%d]", path, i), Message: "not a finite number"}
			}
			return nil, &FieldError{Path: fmt.Sprintf("%s[%d]", path, i), Message: "must be a number or null, got " + jsonType(e)}
		}
		out = append(out, x)
	}
	return out, nil
}

func (rf *RunFile) decodeParams(v any) error {
	if v == nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return &FieldError{Path: "params", Message: "must be an object, got " + jsonType(v)}
	}
	if k := unknownKey(obj, paramKeys); k != "" {
		return &FieldError{Path: "params." + k, Message: "unknown key (known: " + strings.Join(paramKeys, ", ") + ")"}
	}
	for key, dst := range map[string]*float64{"periods_per_year": &rf.Params.PeriodsPerYear, "risk_free_rate": &rf.Params.RiskFreeRate, "transaction_cost": &rf.Params.TransactionCost} {
		if pv, ok := obj[key]; ok && pv != nil {
			x, ok := metrics.Number(pv)
			if !ok {
				return &FieldError{Path: "params." + key, Message: "must be a finite number, got " + jsonType(pv)}
			}
			if key == "periods_per_year" && x <= 0 {
				// As the HTTP API: a run that names its periods per year names a
				// positive number; leaving the key out means the default (252).
				return &FieldError{Path: "params.periods_per_year", Message: "must be a number > 0, got " + strconv.FormatFloat(x, 'g', -1, 64)}
			}
			*dst = x
		}
	}
	if pv, ok := obj["search_intensity"]; ok && pv != nil {
		x, ok := metrics.Number(pv)
		if !ok || x < 0 || math.IsInf(x, 0) {
			return &FieldError{Path: "params.search_intensity", Message: "must be a number ≥ 0"}
		}
		if rf.Metrics == nil {
			rf.Metrics = map[string]any{}
		}
		diag, _ := rf.Metrics["diagnostics"].(map[string]any)
		if diag == nil {
			diag = map[string]any{}
			rf.Metrics["diagnostics"] = diag
		}
		if _, set := diag["search_intensity"]; !set {
			diag["search_intensity"] = x
		}
	}
	if err := rf.Params.Validate(); err != nil {
		return &FieldError{Path: "params", Message: err.Error()}
	}
	return nil
}

// unknownKey returns the lexicographically first key of obj not in known.
func unknownKey(obj map[string]any, known []string) string {
	var bad []string
	for k := range obj {
		found := false
		for _, kk := range known {
			if k == kk {
				found = true
				break
			}
		}
		if !found {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	sort.Strings(bad)
	return bad[0]
}

// toFloats converts every json.Number in a decoded document to float64 (or
// leaves the string form when it does not fit, which the schema then rejects),
// so the rest of the pipeline sees plain JSON types.
func toFloats(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = toFloats(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = toFloats(e)
		}
		return t
	case json.Number:
		f, err := t.Float64()
		if err != nil || math.IsInf(f, 0) {
			return string(t)
		}
		return f
	default:
		return v
	}
}

// runFileHead is the part of a rendered run file before its returns.
type runFileHead struct {
	WorldID    string         `json:"world_id"`
	StrategyID string         `json:"strategy_id"`
	RunID      string         `json:"run_id"`
	Stage      string         `json:"stage"`
	RiskTier   string         `json:"risk_tier,omitempty"`
	Metrics    map[string]any `json:"metrics,omitempty"`
}

// EncodeRunFile renders rf as a run file that [DecodeRunFile] reads back:
// identity, stage, risk tier and metrics (the last two only when set)
// indented, then the return series when rf has one, 21 values to a line (a
// trading month), which keeps files readable and their diffs small. The
// derivation parameters are not written.
func EncodeRunFile(rf RunFile) ([]byte, error) {
	head, err := json.MarshalIndent(runFileHead{
		WorldID: rf.WorldID, StrategyID: rf.StrategyID, RunID: rf.RunID, Stage: rf.Stage, RiskTier: rf.RiskTier, Metrics: rf.Metrics,
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("run file %s/%s: %w", rf.StrategyID, rf.RunID, err)
	}
	if !rf.HasReturns {
		return append(head, '\n'), nil
	}
	var b bytes.Buffer
	b.Write(bytes.TrimSuffix(head, []byte("\n}")))
	b.WriteString(",\n  \"returns\": [")
	for i, x := range rf.Returns {
		switch {
		case i == 0:
			b.WriteString("\n    ")
		case i%21 == 0:
			b.WriteString(",\n    ")
		default:
			b.WriteString(", ")
		}
		v, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("run file %s/%s: return %d: %w", rf.StrategyID, rf.RunID, i, err)
		}
		b.Write(v)
	}
	b.WriteString("\n  ]\n}\n")
	return b.Bytes(), nil
}
