package events

import (
	"encoding/json"
	"strconv"
	"unique"

	"github.com/worldval/worldval/internal/jsonfast"
)

// The payload types every verdict stores — EvaluationRunSubmitted,
// MetricsComputed, RuleEvaluated, EvaluationCompleted — are encoded by
// [Marshal] and decoded by [Registry.Decode] through hand-written fast paths
// (run_json.go) instead of reflection, on the scanner and appenders of
// [jsonfast]. Each fast path produces exactly what encoding/json produces
// (the same bytes, the same decoded value) or declines; the fuzz tests
// compare the two.

// fastEncoder is a payload type [Marshal] can encode without reflection. Its
// method returns the payload as encoding/json would write it with HTML
// escaping off, or false when some value needs encoding/json (which
// then encodes it, or reports why it cannot).
type fastEncoder interface {
	fastJSON() ([]byte, bool)
}

// fastDecoder is a payload type [Registry.Decode] can decode without
// reflection. decodeFast sets the payload from body and returns true only
// when body is one JSON object that encoding/json, refusing unknown fields,
// would decode to exactly that value; otherwise it leaves the payload alone
// and returns false, and encoding/json decodes (or refuses) the body.
type fastDecoder interface {
	decodeFast(body []byte) bool
}

// marshalFast encodes v through its fast path, if it has one that does not
// decline. The payload types are matched exactly, not through fastEncoder,
// so that a type embedding one of them (and thereby its method) is encoded
// whole, by encoding/json. A nil pointer is left to encoding/json, which
// writes null.
func marshalFast(v any) (json.RawMessage, bool) {
	switch x := v.(type) {
	case EvaluationRunSubmitted:
		return x.fastJSON()
	case *EvaluationRunSubmitted:
		return fastPointer(x)
	case MetricsComputed:
		return x.fastJSON()
	case *MetricsComputed:
		return fastPointer(x)
	case RuleEvaluated:
		return x.fastJSON()
	case *RuleEvaluated:
		return fastPointer(x)
	case EvaluationCompleted:
		return x.fastJSON()
	case *EvaluationCompleted:
		return fastPointer(x)
	case map[string]any:
		return jsonfast.AppendAny(make([]byte, 0, 1024), x)
	}
	return nil, false
}

// decodeFast decodes body into ptr, a pointer to a new payload, through the
// fast path of its type, if it has one and it does not decline. Like
// marshalFast it matches the types exactly.
func decodeFast(ptr any, body []byte) bool {
	switch p := ptr.(type) {
	case *EvaluationRunSubmitted:
		return p.decodeFast(body)
	case *MetricsComputed:
		return p.decodeFast(body)
	case *RuleEvaluated:
		return p.decodeFast(body)
	case *EvaluationCompleted:
		return p.decodeFast(body)
	}
	return false
}

// fastPointer encodes the payload p points to; a nil p declines.
func fastPointer[T any, P interface {
	*T
	fastEncoder
}](p P) (json.RawMessage, bool) {
	if p == nil {
		return nil, false
	}
	return p.fastJSON()
}

// objectWriter appends the members of one JSON object in the order of a
// struct's fields, as encoding/json writes them. Member names are written
// as given: the callers pass the field tags, which need no escaping. ok
// turns false, for good, when a value needs encoding/json.
type objectWriter struct {
	b  []byte
	n  int
	ok bool
}

// newObjectWriter starts an object in a buffer of the given capacity.
func newObjectWriter(capacity int) objectWriter {
	return objectWriter{b: append(make([]byte, 0, capacity), '{'), ok: true}
}

// key starts the member called name.
func (w *objectWriter) key(name string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':')
}

// str writes a string member.
func (w *objectWriter) str(name, v string) {
	w.key(name)
	w.b = jsonfast.AppendString(w.b, v, false)
}

// int writes an integer member.
func (w *objectWriter) int(name string, v int) {
	w.key(name)
	w.b = strconv.AppendInt(w.b, int64(v), 10)
}

// bool writes a boolean member.
func (w *objectWriter) bool(name string, v bool) {
	w.key(name)
	w.b = strconv.AppendBool(w.b, v)
}

// strings writes a []string member (null when nil).
func (w *objectWriter) strings(name string, v []string) {
	w.key(name)
	w.b = jsonfast.AppendStrings(w.b, v, false)
}

// raw writes a json.RawMessage member, compacted (null when nil).
func (w *objectWriter) raw(name string, v json.RawMessage) {
	if !w.ok {
		return
	}
	w.key(name)
	w.b, w.ok = jsonfast.AppendRaw(w.b, v)
}

// returns writes a return series member.
func (w *objectWriter) returns(name string, v ReturnSeries) {
	if !w.ok {
		return
	}
	w.key(name)
	w.b, w.ok = appendReturns(w.b, v)
}

// end closes the object and returns it, or false when a value declined.
func (w *objectWriter) end() (json.RawMessage, bool) {
	if !w.ok {
		return nil, false
	}
	return append(w.b, '}'), true
}

// readObject walks one JSON object for a fast decoder: exactly one
// object, possibly surrounded by whitespace, nested at most
// [jsonfast.MaxDepth] deep, whose member names hold no escapes. It hands
// each member's name and value (the value's bytes as written, without
// surrounding whitespace) to member, in document order, and returns false
// when the body is anything else or member returns false.
func readObject(body []byte, member func(name, value []byte) bool) bool {
	var buf [16]jsonfast.Member
	ms, ok := jsonfast.AppendMembers(buf[:0], body, jsonfast.MaxDepth)
	if !ok {
		return false
	}
	for _, m := range ms {
		if m.NameForm&jsonfast.Escaped != 0 || !member(m.Name, m.Value) {
			return false
		}
	}
	return true
}

// fieldSet records which members of an object were seen, so that a fast
// decoder declines a repeated one (encoding/json's last-one-wins merging is
// left to encoding/json).
type fieldSet uint32

// first marks field i as seen and reports whether it was not before.
func (f *fieldSet) first(i int) bool {
	bit := fieldSet(1) << i
	if *f&bit != 0 {
		return false
	}
	*f |= bit
	return true
}

// The value readers of the fast decoders accept exactly one form of a value
// and decline everything else (null included, except in raw JSON), which
// encoding/json then decodes or refuses. Each is handed a value [readObject]
// accepted.

// readString reads a JSON string without escapes (see
// [jsonfast.PlainString]).
func readString(v []byte, dst *string) bool {
	s, ok := jsonfast.PlainString(v)
	*dst = s
	return ok
}

// readName reads a string that names one of few values — a world, a
// strategy, a stage, a risk tier, a rule, a profile, a ruleset hash, a
// verdict: few next to the runs that name them — and interns it
// (unique.Make), as readStrings does its names: the read models keep the
// names of every run they hold, and interned each is one string however many
// runs hold it, not one more object per run for the collector to mark.
func readName(v []byte, dst *string) bool {
	if len(v) < 2 || v[0] != '"' {
		return false
	}
	end, f, ok := jsonfast.String(v, 0)
	if !ok || end != len(v) || !f.Plain() {
		return readString(v, dst)
	}
	*dst = unique.Make(string(v[1 : end-1])).Value()
	return true
}

// readInt reads an integer of at most 18 digits, which strconv.ParseInt
// (encoding/json's reading of a number into an int) reads the same.
func readInt(v []byte, dst *int) bool {
	digits := v
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 || (digits[0] == '0' && len(digits) > 1) {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	n, err := strconv.Atoi(string(v))
	*dst = n
	return err == nil
}

// readBool reads true or false.
func readBool(v []byte, dst *bool) bool {
	switch string(v) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return false
	}
	return true
}

// readRaw keeps a copy of a JSON value, as encoding/json fills a
// json.RawMessage (null included: the field then holds the text null).
func readRaw(v []byte, dst *json.RawMessage) bool {
	*dst = append(json.RawMessage(nil), v...)
	return true
}

// readStrings reads an array of strings without escapes; [] is an empty,
// non-nil slice, as encoding/json makes it. The strings are interned
// (unique.Make): the arrays it reads, a run's derivations and active set,
// name entries of small fixed sets, and the read models and caches keep the
// decoded lists of every run; interned, each name is one string however
// many runs hold it (25 strings, some 1.4 KiB, fewer per verdict to keep
// and for the collector to mark).
func readStrings(v []byte, dst *[]string) bool {
	if len(v) < 2 || v[0] != '[' {
		return false
	}
	out := []string{}
	i := jsonfast.SkipSpace(v, 1)
	if v[i] == ']' {
		*dst = out
		return true
	}
	for {
		if v[i] != '"' {
			return false
		}
		end, f, ok := jsonfast.String(v, i)
		if !ok || !f.Plain() {
			return false
		}
		out = append(out, unique.Make(string(v[i+1:end-1])).Value())
		i = jsonfast.SkipSpace(v, end)
		switch v[i] {
		case ',':
			i = jsonfast.SkipSpace(v, i+1)
		case ']':
			*dst = out
			return true
		default:
			return false
		}
	}
}

// readReturns reads a return series of numbers and nulls as
// [ReturnSeries.UnmarshalJSON] does on its fast path.
func readReturns(v []byte, dst *ReturnSeries) bool {
	out, ok := parsePlainSeries(v)
	*dst = out
	return ok
}
