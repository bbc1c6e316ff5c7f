package rules

// Detail is one member of [Details].
type Detail struct {
	// Key is the member name.
	Key string
	// Value is a JSON-encodable value: nil, bool, float64, int, string,
	// []string, a slice of violations, … .
	Value any
}

// Details holds a rule's rule-specific values (validation-core §8.1). It
// encodes as a JSON object whose members keep their insertion order; a nil
// Details encodes as {}. It is a list rather than a map because results are
// built on the evaluation hot path, where a handful of small maps per run
// cost more than the rest of the rule logic.
type Details []Detail

// detailArena hands out the Details of one evaluation from shared chunks, so
// that a run allocates its rules' details once rather than once per rule.
// Every slice it returns is capped at its own capacity: an append past it
// reallocates, as it would for a slice of its own, and never reaches the
// members of another rule.
type detailArena struct {
	free  []Detail
	chunk int // members per chunk; see engine.detailsPerCandidate
}

// withRoom returns ds as details with spare capacity for the members a
// failing check may add later.
func (a *detailArena) withRoom(extra int, ds ...Detail) Details {
	n := len(ds) + extra
	if len(a.free) < n {
		a.free = make([]Detail, max(n, a.chunk))
	}
	d := a.free[:len(ds):n]
	a.free = a.free[n:]
	// One member at a time: copy (or append) copies them with a bulk write
	// barrier, which while the collector marks walks the pointer bitmap word
	// by word (BenchmarkEvaluateWithFlatten, GOGC=100: 52.0k → 51.1k
	// instructions a run).
	//lint:ignore S1001 see above
	for i := range ds {
		d[i] = ds[i]
	}
	return d
}

// of returns ds as details without spare capacity.
func (a *detailArena) of(ds ...Detail) Details {
	return a.withRoom(0, ds...)
}

// detailsPerCandidate returns how many details members the rules ask the
// arena for on one candidate that passes (risk_constraint asks only when it
// fails), and how many live monitoring asks for once per evaluation. It only
// sizes chunks: a rule that asks for more gets another chunk.
func (e *engine) detailsPerCandidate(x *extScope) (perCand, live int) {
	m := e.m
	// data_currency 3; sample 1 + its names and thresholds; performance 2;
	// robustness 5 + 3.
	perCand = 3 + 1 + len(sampleNames) + len(e.sampleTh) + 2 + 8
	if m.Cohort != nil {
		perCand += 6 + 2
	}
	if m.Portfolio != nil {
		perCand += 5 + 3
	}
	if m.Benchmark != nil {
		perCand += 4 + 1
	}
	if m.Stress != nil {
		perCand += 2 + 3
	}
	if x.paperApplies {
		perCand += 14 + 4
	}
	if m.LiveMonitoring != nil {
		live = 4 + 3
	}
	return perCand, live
}

// Get returns the value of key.
func (d Details) Get(key string) (any, bool) {
	for _, m := range d {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// Set replaces the value of key, or appends it.
func (d *Details) Set(key string, v any) {
	for i := range *d {
		if (*d)[i].Key == key {
			(*d)[i].Value = v
			return
		}
	}
	*d = append(*d, Detail{key, v})
}

// Map returns the details as a map.
func (d Details) Map() map[string]any {
	m := make(map[string]any, len(d))
	for _, x := range d {
		m[x.Key] = x.Value
	}
	return m
}

// MarshalJSON encodes the details as a JSON object, in order.
func (d Details) MarshalJSON() ([]byte, error) {
	return d.appendJSON(make([]byte, 0, 256))
}

// UnmarshalJSON decodes a JSON object, keeping member order; values decode as
// encoding/json decodes into any.
func (d *Details) UnmarshalJSON(data []byte) error {
	out := Details{}
	isNull, err := decodeObject(data, "details", func(k string, v any) { out = append(out, Detail{k, v}) })
	switch {
	case err != nil:
		return err
	case isNull:
		*d = nil
	default:
		*d = out
	}
	return nil
}
