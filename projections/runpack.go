package projections

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"unsafe"

	"github.com/worldval/worldval/events"
)

// The packed form of the run projections' values: what a [MemoryStore]
// keeps of a run once it is cold (see [packable]). A run's Go value is a web
// of some thirty small objects — strings, pointers, slices of results —
// which every garbage collection has to trace, and the read models hold
// every run the service ever evaluated; packed, it is a run of bytes inside
// one large buffer that the collector does not look into.
//
// The format is private to the process (nothing packed is ever written
// out): lengths and numbers as varints, strings and JSON documents as
// length-prefixed bytes, copied verbatim. Unpacking reads the strings and
// documents in place, without copying them: the buffer is never written
// again once packed, so the unpacked value may share it.

// errPacked reports packed bytes that do not hold a value of the expected
// form: a bug, since only this process packs them.
var errPacked = errors.New("malformed packed value")

// packedFormat is the first byte of every packed value.
const packedFormat = 1

// packWriter appends a value's packed form to b.
type packWriter struct{ b []byte }

func (w *packWriter) uint(x uint64) { w.b = binary.AppendUvarint(w.b, x) }
func (w *packWriter) int(x int64)   { w.b = binary.AppendVarint(w.b, x) }

func (w *packWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}

// optStr writes a string pointer: 0 for nil, else 1 and the string.
func (w *packWriter) optStr(p *string) {
	if p == nil {
		w.uint(0)
		return
	}
	w.uint(1)
	w.str(*p)
}

// raw writes bytes keeping nil apart from empty: 0 for nil, else the
// length plus one and the bytes.
func (w *packWriter) raw(b []byte) {
	if b == nil {
		w.uint(0)
		return
	}
	w.uint(uint64(len(b)) + 1)
	w.b = append(w.b, b...)
}

// count writes the length of a slice keeping nil apart from empty.
func (w *packWriter) count(n int, isNil bool) {
	if isNil {
		w.uint(0)
		return
	}
	w.uint(uint64(n) + 1)
}

func (w *packWriter) strs(ss []string) {
	w.count(len(ss), ss == nil)
	for _, s := range ss {
		w.str(s)
	}
}

func (w *packWriter) results(rs RuleResults) {
	w.count(len(rs), rs == nil)
	for _, r := range rs {
		w.str(r.Rule)
		w.raw(r.Result)
	}
}

func (w *packWriter) mark(m *foldMark) {
	w.uint(m.Position)
	w.uint(m.LastVersion)
	w.str(m.LastKey)
	w.int(m.LastRecordedAt)
}

func (w *packWriter) view(v *RunView) {
	w.str(v.WorldID)
	w.str(v.StrategyID)
	w.str(v.RunID)
	w.str(v.Stage)
	w.str(v.RiskTier)
	w.optStr(v.ModelCardVersion)
	w.str(v.Status)
	w.raw(v.Metrics)

	val := &v.Validation
	w.optStr(val.PolicyVersion)
	w.optStr(val.RulesetHash)
	w.optStr(val.Profile)
	w.results(val.Results)
	w.int(int64(val.ExtendedRevision))
	w.str(val.ExtendedEvaluatedAt)
	w.count(len(val.ExtendedHistory), val.ExtendedHistory == nil)
	for i := range val.ExtendedHistory {
		e := &val.ExtendedHistory[i]
		w.int(int64(e.Revision))
		w.str(e.EvaluatedAt)
		w.results(e.Results)
	}
	w.raw(val.ExtendedSummary)

	sum := &v.Summary
	w.str(sum.Status)
	w.str(sum.RecommendedStage)
	switch {
	case sum.Active == nil:
		w.uint(0)
	case !*sum.Active:
		w.uint(1)
	default:
		w.uint(2)
	}
	w.strs(sum.ActiveSet)
	w.str(sum.CampaignID)
	w.str(sum.Note)
	if o := sum.Override; o == nil {
		w.uint(0)
	} else {
		w.uint(1)
		w.str(o.OverrideStatus)
		w.optStr(o.OverrideReason)
		w.optStr(o.OverrideActor)
		w.str(o.OverrideTimestamp)
	}
	w.count(len(sum.ExPostFailures), sum.ExPostFailures == nil)
	for i := range sum.ExPostFailures {
		f := &sum.ExPostFailures[i]
		for _, s := range [...]string{f.CaseID, f.Status, f.Category, f.ReasonCode, f.Severity, f.EvidenceURL, f.Actor, f.RecordedAt, f.Source, f.Notes} {
			w.str(s)
		}
	}

	w.str(v.CreatedAt)
	w.str(v.UpdatedAt)
	w.int(int64(v.Revision))
}

// packReader reads a packed value from b; the first malformed read sets
// bad, and every read after it returns zero values.
type packReader struct {
	b   []byte
	bad bool
}

func (r *packReader) uint() uint64 {
	x, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *packReader) int() int64 {
	x, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return x
}

// take returns the next n bytes, capacity-limited, so that appending to
// them copies rather than writes into the packed buffer.
func (r *packReader) take(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

// str returns the next string, sharing the packed bytes.
func (r *packReader) str() string {
	b := r.take(r.uint())
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (r *packReader) optStr() *string {
	if r.uint() == 0 {
		return nil
	}
	s := r.str()
	return &s
}

func (r *packReader) raw() json.RawMessage {
	n := r.uint()
	if n == 0 {
		return nil
	}
	return r.take(n - 1)
}

// count reads a slice length; isNil reports a nil slice. A length beyond
// what the bytes left could hold is malformed.
func (r *packReader) count() (n int, isNil bool) {
	c := r.uint()
	if c == 0 {
		return 0, true
	}
	if c-1 > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return 0, true
	}
	return int(c - 1), false
}

func (r *packReader) strs() []string {
	n, isNil := r.count()
	if isNil {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *packReader) results() RuleResults {
	n, isNil := r.count()
	if isNil {
		return nil
	}
	out := make(RuleResults, n)
	for i := range out {
		out[i] = RuleResult{Rule: r.str(), Result: r.raw()}
	}
	return out
}

func (r *packReader) mark() foldMark {
	return foldMark{Position: r.uint(), LastVersion: r.uint(), LastKey: r.str(), LastRecordedAt: r.int()}
}

func (r *packReader) view(v *RunView) {
	v.WorldID = r.str()
	v.StrategyID = r.str()
	v.RunID = r.str()
	v.Stage = r.str()
	v.RiskTier = r.str()
	v.ModelCardVersion = r.optStr()
	v.Status = r.str()
	v.Metrics = r.raw()

	val := &v.Validation
	val.PolicyVersion = r.optStr()
	val.RulesetHash = r.optStr()
	val.Profile = r.optStr()
	val.Results = r.results()
	val.ExtendedRevision = int(r.int())
	val.ExtendedEvaluatedAt = r.str()
	if n, isNil := r.count(); !isNil {
		val.ExtendedHistory = make([]ExtendedEntry, n)
		for i := range val.ExtendedHistory {
			val.ExtendedHistory[i] = ExtendedEntry{Revision: int(r.int()), EvaluatedAt: r.str(), Results: r.results()}
		}
	}
	val.ExtendedSummary = r.raw()

	sum := &v.Summary
	sum.Status = r.str()
	sum.RecommendedStage = r.str()
	switch r.uint() {
	case 0:
	case 1:
		sum.Active = new(bool)
	case 2:
		active := true
		sum.Active = &active
	default:
		r.bad = true
	}
	sum.ActiveSet = r.strs()
	sum.CampaignID = r.str()
	sum.Note = r.str()
	if r.uint() == 1 {
		sum.Override = &Override{OverrideStatus: r.str(), OverrideReason: r.optStr(), OverrideActor: r.optStr(), OverrideTimestamp: r.str()}
	}
	if n, isNil := r.count(); !isNil {
		sum.ExPostFailures = make([]events.ExPostFailureRecorded, n)
		for i := range sum.ExPostFailures {
			sum.ExPostFailures[i] = events.ExPostFailureRecorded{
				CaseID: r.str(), Status: r.str(), Category: r.str(), ReasonCode: r.str(), Severity: r.str(),
				EvidenceURL: r.str(), Actor: r.str(), RecordedAt: r.str(), Source: r.str(), Notes: r.str(),
			}
		}
	}

	v.CreatedAt = r.str()
	v.UpdatedAt = r.str()
	v.Revision = int(r.int())
}

// end reports an error for a malformed value or bytes left over.
func (r *packReader) end(what string) error {
	if r.bad || len(r.b) != 0 {
		return fmt.Errorf("%s: %w", what, errPacked)
	}
	return nil
}

// appendPacked implements [packable].
func (s *runState) appendPacked(dst []byte) []byte {
	w := packWriter{b: append(dst, packedFormat)}
	w.mark(&s.foldMark)
	w.view(&s.View)
	return w.b
}

// packKind implements [packable].
func (s *runState) packKind() byte { return packedRunState }

// unpackRunState reads a run state packed by [runState.appendPacked]. The
// state shares b, which must never change.
func unpackRunState(b []byte) (any, error) {
	return unpackWith(b, "run state", func(r *packReader) *runState {
		s := &runState{foldMark: r.mark()}
		r.view(&s.View)
		return s
	})
}

// unpackWith reads a packed value with read, after checking its format
// byte, and fails unless read consumed it exactly.
func unpackWith[T any](b []byte, what string, read func(r *packReader) *T) (any, error) {
	if len(b) == 0 || b[0] != packedFormat {
		return nil, fmt.Errorf("%s: %w", what, errPacked)
	}
	r := packReader{b: b[1:]}
	v := read(&r)
	if err := r.end(what); err != nil {
		return nil, err
	}
	return v, nil
}

// appendPacked implements [packable].
func (h *runHistory) appendPacked(dst []byte) []byte {
	w := packWriter{b: append(dst, packedFormat)}
	w.mark(&h.foldMark)
	w.count(len(h.Revisions), h.Revisions == nil)
	for i := range h.Revisions {
		e := &h.Revisions[i]
		w.int(int64(e.Revision))
		w.str(e.RecordedAt)
		w.view(&e.Payload)
	}
	return w.b
}

// packKind implements [packable].
func (h *runHistory) packKind() byte { return packedRunHistory }

// unpackRunHistory reads a run's history packed by
// [runHistory.appendPacked]. The history shares b, which must never change.
func unpackRunHistory(b []byte) (any, error) {
	return unpackWith(b, "run history", func(r *packReader) *runHistory {
		h := &runHistory{foldMark: r.mark()}
		if n, isNil := r.count(); !isNil {
			h.Revisions = make([]HistoryEntry, n)
			for i := range h.Revisions {
				e := &h.Revisions[i]
				e.Revision, e.RecordedAt = int(r.int()), r.str()
				r.view(&e.Payload)
			}
		}
		return h
	})
}

// appendPacked implements [packable].
func (o *overrideRun) appendPacked(dst []byte) []byte {
	w := packWriter{b: append(dst, packedFormat)}
	w.str(o.WorldID)
	w.str(o.StrategyID)
	w.str(o.RunID)
	w.str(o.Stage)
	a := o.Approved
	if a == nil {
		w.uint(0)
		return w.b
	}
	w.uint(1)
	w.str(a.WorldID)
	w.str(a.StrategyID)
	w.str(a.RunID)
	w.str(a.Stage)
	w.optStr(a.OverrideReason)
	w.optStr(a.OverrideActor)
	w.optStr(a.OverrideTimestamp)
	if a.ReviewWindowDays == nil {
		w.uint(0)
	} else {
		w.uint(1)
		w.int(int64(*a.ReviewWindowDays))
	}
	w.optStr(a.ReviewDueAt)
	w.strs(a.MissingFields)
	return w.b
}

// packKind implements [packable].
func (o *overrideRun) packKind() byte { return packedOverrideRun }

// unpackOverrideRun reads a run of the overrides projection packed by
// [overrideRun.appendPacked]. It shares b, which must never change.
func unpackOverrideRun(b []byte) (any, error) {
	return unpackWith(b, "override run", func(r *packReader) *overrideRun {
		o := &overrideRun{WorldID: r.str(), StrategyID: r.str(), RunID: r.str(), Stage: r.str()}
		if r.uint() == 1 {
			a := &ApprovedOverride{WorldID: r.str(), StrategyID: r.str(), RunID: r.str(), Stage: r.str(),
				OverrideReason: r.optStr(), OverrideActor: r.optStr(), OverrideTimestamp: r.optStr()}
			if r.uint() == 1 {
				days := int(r.int())
				a.ReviewWindowDays = &days
			}
			a.ReviewDueAt = r.optStr()
			a.MissingFields = r.strs()
			o.Approved = a
		}
		return o
	})
}
