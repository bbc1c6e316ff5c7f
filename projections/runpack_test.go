package projections

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/worldval/worldval/events"
)

// packSamples are run states with every field of the packed form set in
// every way that matters to its JSON: absent, empty and present.
func packSamples() []*runState {
	str := func(s string) *string { return &s }
	yes, no := true, false
	full := &runState{
		foldMark: foldMark{Position: 1 << 40, LastVersion: 9, LastKey: "evaluate:run/w/s/r", LastRecordedAt: -5},
		View: RunView{
			WorldID: "w", StrategyID: "s/ü", RunID: "r\x00", Stage: "paper", RiskTier: "high", ModelCardVersion: str("v2"),
			Status: StatusEvaluated, Metrics: json.RawMessage(`{"returns":{"sharpe":1.2}}`),
			Validation: Validation{
				PolicyVersion: str("3"), RulesetHash: str("blake3:ab"), Profile: str(""),
				Results:          RuleResults{{Rule: "sample", Result: json.RawMessage(`{"status":"pass"}`)}, {Rule: "cohort", Result: json.RawMessage(`{}`)}},
				ExtendedRevision: 2, ExtendedEvaluatedAt: "2026-03-02T10:00:00Z",
				ExtendedHistory: []ExtendedEntry{
					{Revision: 1, EvaluatedAt: "2026-03-02T09:00:00Z", Results: RuleResults{}},
					{Revision: 2, EvaluatedAt: "2026-03-02T10:00:00Z", Results: RuleResults{{Rule: "cohort", Result: json.RawMessage(`{"status":"warn"}`)}}},
				},
				ExtendedSummary: json.RawMessage(`"warn"`),
			},
			Summary: Summary{
				Status: "warn", RecommendedStage: "paper_only", Active: &yes, ActiveSet: []string{"s", "t"}, CampaignID: "c1", Note: "n",
				Override: &Override{OverrideStatus: "approved", OverrideReason: str("ok"), OverrideTimestamp: "2026-03-02"},
				ExPostFailures: []events.ExPostFailureRecorded{
					{CaseID: "c", Status: "open", Category: "x", ReasonCode: "rc", Severity: "high", EvidenceURL: "u", Actor: "a", RecordedAt: "t", Source: "s", Notes: "n"},
					{Status: "closed"},
				},
			},
			CreatedAt: "2026-03-02T09:00:00Z", UpdatedAt: "2026-03-02T10:00:00Z", Revision: 5,
		},
	}
	empty := &runState{View: RunView{
		Metrics:    json.RawMessage{},
		Validation: Validation{Results: RuleResults{}, ExtendedHistory: []ExtendedEntry{}, ExtendedSummary: json.RawMessage{}},
		Summary:    Summary{Active: &no, ActiveSet: []string{}, Override: &Override{}, ExPostFailures: []events.ExPostFailureRecorded{}},
	}}
	return []*runState{full, empty, {}}
}

// TestPackRoundTrip: unpacking a packed run state or history gives an
// equal value (nil and empty kept apart), whose JSON is the same.
func TestPackRoundTrip(t *testing.T) {
	for i, s := range packSamples() {
		got, err := unpackRunState(s.appendPacked([]byte("prefix")[6:]))
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Fatalf("sample %d: unpacked\n%#v\nwant\n%#v", i, got, s)
		}
		a, _ := json.Marshal(s)
		b, _ := json.Marshal(got)
		if string(a) != string(b) {
			t.Fatalf("sample %d: JSON %s, want %s", i, b, a)
		}
		h := &runHistory{foldMark: s.foldMark,
			Revisions: []HistoryEntry{{Revision: 1, RecordedAt: "2026-03-02T10:00:00.123456789Z", Payload: s.View}, {Revision: 2, Payload: RunView{}}}}
		gh, err := unpackRunHistory(h.appendPacked(nil))
		if err != nil || !reflect.DeepEqual(gh, h) {
			t.Fatalf("sample %d: history %#v, %v", i, gh, err)
		}
		if _, err := unpackRunHistory(h.appendPacked(nil)[:len(h.appendPacked(nil))-1]); err == nil {
			t.Fatalf("sample %d: a truncated history unpacked", i)
		}
		if _, err := unpackRunState(s.appendPacked(nil)[:len(s.appendPacked(nil))-1]); err == nil {
			t.Fatalf("sample %d: a truncated run state unpacked", i)
		}
	}
}

// TestPackOverrideRuns: the override projection's records survive packing,
// with and without an approved override, nil and empty kept apart.
func TestPackOverrideRuns(t *testing.T) {
	str := func(s string) *string { return &s }
	days := 30
	for i, o := range []*overrideRun{
		{WorldID: "w", StrategyID: "s", RunID: "r", Stage: "live"},
		{WorldID: "w", StrategyID: "s", RunID: "r", Stage: "live", Approved: &ApprovedOverride{
			WorldID: "w", StrategyID: "s", RunID: "r", Stage: "live", OverrideReason: str("ok"), OverrideTimestamp: str(""),
			ReviewWindowDays: &days, ReviewDueAt: str("2026-04-01T00:00:00Z"), MissingFields: []string{"override_actor"},
		}},
		{Approved: &ApprovedOverride{MissingFields: []string{}}},
		{},
	} {
		got, err := unpackOverrideRun(o.appendPacked(nil))
		if err != nil || !reflect.DeepEqual(got, o) {
			t.Fatalf("record %d: unpacked %#v, %v", i, got, err)
		}
	}
}

// TestUnpackedValuesDoNotWriteIntoThePackedBytes: a fold appends to the
// slices of the value it is given; those of an unpacked value must not
// reach into the packed bytes, which other values share.
func TestUnpackedValuesDoNotWriteIntoThePackedBytes(t *testing.T) {
	s := packSamples()[0]
	packed := s.appendPacked(nil)
	before := string(packed)
	o, err := unpackRunState(packed)
	if err != nil {
		t.Fatal(err)
	}
	u := o.(*runState)
	u.View.Metrics = append(u.View.Metrics, "garbage"...)
	u.View.Validation.Results[0].Result = append(u.View.Validation.Results[0].Result, "garbage"...)
	u.View.Summary.ExPostFailures = append(u.View.Summary.ExPostFailures, events.ExPostFailureRecorded{Status: "x"})
	if string(packed) != before {
		t.Fatal("appending to an unpacked value wrote into the packed bytes")
	}
}

// FuzzUnpack: whatever the bytes, unpacking returns a value or an error,
// never panics, and a value it returns packs to bytes that unpack to it.
func FuzzUnpack(f *testing.F) {
	for _, s := range packSamples() {
		f.Add(s.appendPacked(nil))
		h := &runHistory{Revisions: []HistoryEntry{{Revision: 1, RecordedAt: "t", Payload: s.View}}}
		f.Add(h.appendPacked(nil))
	}
	f.Add([]byte{packedFormat, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		if o, err := unpackRunState(b); err == nil {
			s := o.(*runState)
			again, err := unpackRunState(s.appendPacked(nil))
			if err != nil || !reflect.DeepEqual(again, s) {
				t.Fatalf("run state does not survive packing again: %v", err)
			}
		}
		if o, err := unpackOverrideRun(b); err == nil {
			r := o.(*overrideRun)
			again, err := unpackOverrideRun(r.appendPacked(nil))
			if err != nil || !reflect.DeepEqual(again, r) {
				t.Fatalf("override run does not survive packing again: %v", err)
			}
		}
		if o, err := unpackRunHistory(b); err == nil {
			h := o.(*runHistory)
			again, err := unpackRunHistory(h.appendPacked(nil))
			if err != nil || !reflect.DeepEqual(again, h) {
				t.Fatalf("run history does not survive packing again: %v", err)
			}
		}
	})
}
