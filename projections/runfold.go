package projections

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/worldval/worldval/events"
)

// errNotSubmitted reports an event on a run stream before its submission;
// the aggregate never writes one, so the read model refuses to invent a run.
var errNotSubmitted = errors.New("evaluation run event before the submission")

// runEventTypes are the event types that change a run record.
var runEventTypes = map[string]bool{
	events.TypeEvaluationRunSubmitted:      true,
	events.TypeMetricsComputed:             true,
	events.TypeRuleEvaluated:               true,
	events.TypeEvaluationCompleted:         true,
	events.TypeExtendedValidationCompleted: true,
	events.TypeOverrideRecorded:            true,
	events.TypeExPostFailureRecorded:       true,
}

// runState is a run record plus what folding needs to know about the last
// event applied to it. It is the stored value of the run projection.
type runState struct {
	View RunView `json:"view"`
	foldMark
}

// foldMark is what folding a run needs besides its record.
type foldMark struct {
	// Position is the global position of the submission: the run's place
	// in list order.
	Position uint64 `json:"position"`
	// LastVersion, LastKey and LastRecordedAt describe the last event
	// folded, to recognise the later events of the same append.
	// LastRecordedAt is its recording time in nanoseconds since the Unix
	// epoch (0 for none): a number, not one more string per run.
	LastVersion    uint64 `json:"last_version"`
	LastKey        string `json:"last_key,omitempty"`
	LastRecordedAt int64  `json:"last_recorded_ns,omitempty"`
}

// clone returns a shallow copy of s, which is all a fold needs to change the
// copy without touching s (see [cloner]): foldRun changes a run only by
// assigning its fields — the nested structs View, Validation and Summary are
// copied by value, and every pointer (ModelCardVersion, PolicyVersion,
// RulesetHash, Profile, Active, Override), JSON document (Metrics, each
// rule result, ExtendedSummary) and result map they hold is replaced by a new
// one rather than written through — and grows the slices it keeps
// (ExtendedHistory, ExPostFailures) only by append, which writes past the
// length of every copy taken before. (trimForInvariants works the same way
// on copies of committed views.) TestFoldsLeaveStoredValuesAlone checks
// this by reading committed values while batches fold copies of them.
func (s *runState) clone() *runState {
	c := *s
	return &c
}

// sameChange reports whether rec, recorded at recordedAt (rec.RecordedAt as
// [recordedNanos] gives it), continues the change of the previous event: it
// directly follows it in the stream, was recorded by the same append (same
// recording time) and carries the same non-empty idempotency key. The
// evaluation (MetricsComputed, every RuleEvaluated and EvaluationCompleted)
// is one such append, so it makes one revision.
func (s *runState) sameChange(rec *events.Record, recordedAt int64) bool {
	return rec.IdempotencyKey != "" && rec.IdempotencyKey == s.LastKey &&
		rec.StreamVersion == s.LastVersion+1 && recordedAt == s.LastRecordedAt
}

// foldRun applies one decoded run event to s and reports whether it opened a
// new revision (false: it amended the revision of the same change).
//
// It replaces every field it changes and only appends to slices, never
// writing into memory a previous shallow copy of the view can see: the
// history projection relies on such copies being stable snapshots.
func foldRun(s *runState, rec *events.Record, payload any, shared *sharedValues) (newRevision bool, err error) {
	_, submission := payload.(*events.EvaluationRunSubmitted)
	if !submission && s.View.RunID == "" {
		return false, errNotSubmitted
	}
	recordedAt := recordedNanos(rec.RecordedAt)
	newRevision = !s.sameChange(rec, recordedAt)
	v := &s.View
	// Most events of a run fall in the second of the one before: they then
	// share its timestamp string rather than hold a copy of it.
	when := formatSecondAs(eventTime(rec.OccurredAt, rec.RecordedAt), v.UpdatedAt, v.CreatedAt)
	switch p := payload.(type) {
	case *events.EvaluationRunSubmitted:
		if v.RunID != "" {
			return false, fmt.Errorf("evaluation run %s submitted twice", v.RunID)
		}
		if want, err := events.RunStream(p.WorldID, p.StrategyID, p.RunID); err != nil || want != rec.Stream {
			return false, fmt.Errorf("submission of %q/%q/%q recorded on stream %s", p.WorldID, p.StrategyID, p.RunID, rec.Stream)
		}
		foldSubmitted(s, rec, p, when, shared)
	case *events.MetricsComputed:
		if err := requireEvaluating(v, rec); err != nil {
			return false, err
		}
		v.Metrics = objectOrEmpty(p.Metrics)
		v.UpdatedAt = when
	case *events.RuleEvaluated:
		if err := requireEvaluating(v, rec); err != nil {
			return false, err
		}
		v.Validation.Results = v.Validation.Results.set(p.Rule, p.Result)
		v.UpdatedAt = when
	case *events.EvaluationCompleted:
		if err := requireEvaluating(v, rec); err != nil {
			return false, err
		}
		if err := foldCompleted(v, p, shared); err != nil {
			return false, err
		}
		v.UpdatedAt = when
	case *events.ExtendedValidationCompleted:
		if err := foldExtended(v, p, when); err != nil {
			return false, err
		}
		v.UpdatedAt = when
	case *events.OverrideRecorded:
		foldOverride(v, p, when)
	case *events.ExPostFailureRecorded:
		v.Summary.ExPostFailures = append(v.Summary.ExPostFailures, *p)
		v.UpdatedAt = orDefault(normalizeCallerTime(p.RecordedAt), when)
	default:
		return false, fmt.Errorf("unexpected payload %T", payload)
	}
	if newRevision {
		v.Revision++
	}
	s.LastVersion, s.LastKey, s.LastRecordedAt = rec.StreamVersion, rec.IdempotencyKey, recordedAt
	return newRevision, nil
}

func foldSubmitted(s *runState, rec *events.Record, p *events.EvaluationRunSubmitted, when string, shared *sharedValues) {
	s.Position = rec.GlobalPosition
	s.View = RunView{
		WorldID:    p.WorldID,
		StrategyID: p.StrategyID,
		RunID:      p.RunID,
		Stage:      p.Stage,
		RiskTier:   p.RiskTier,
		Status:     StatusEvaluating,
		Metrics:    objectOrEmpty(p.Metrics),
		Validation: Validation{Results: RuleResults{}},
		Summary:    Summary{CampaignID: p.CampaignID},
		CreatedAt:  when,
		UpdatedAt:  when,
	}
	if p.ModelCardVersion != "" {
		s.View.ModelCardVersion = shared.str(p.ModelCardVersion)
	}
}

func foldCompleted(v *RunView, p *events.EvaluationCompleted, shared *sharedValues) error {
	v.Status = StatusEvaluated
	if p.PolicyVersion > 0 {
		v.Validation.PolicyVersion = shared.str(strconv.Itoa(p.PolicyVersion))
	}
	v.Validation.RulesetHash = shared.optional(p.RulesetHash)
	v.Validation.Profile = shared.optional(p.Profile)
	v.Summary.Status = p.Status
	v.Summary.RecommendedStage = p.RecommendedStage
	v.Summary.Active = shared.boolean(p.Active)
	v.Summary.ActiveSet = append([]string{}, p.ActiveSet...)
	v.Summary.Note = p.Note
	m, err := withValidationHealth(v.Metrics, p.ValidationHealth)
	if err != nil {
		return fmt.Errorf("validation health: %w", err)
	}
	v.Metrics = m
	return nil
}

func foldExtended(v *RunView, p *events.ExtendedValidationCompleted, when string) error {
	var merged RuleResults
	if len(p.MergedResults) > 0 {
		rs, err := decodeResults(p.MergedResults)
		if err != nil {
			return fmt.Errorf("merged results: %w", err)
		}
		merged = rs
	} else {
		extended, err := decodeResults(p.Results)
		if err != nil {
			return fmt.Errorf("results: %w", err)
		}
		merged = append(RuleResults{}, v.Validation.Results...)
		for _, r := range extended {
			merged = merged.set(r.Rule, r.Result)
		}
	}
	m, err := mergePatch(v.Metrics, p.MetricsPatch)
	if err != nil {
		return fmt.Errorf("metrics patch: %w", err)
	}
	rev := p.ExtendedRevision
	if rev <= 0 {
		rev = v.Validation.ExtendedRevision + 1
	}
	at := orDefault(normalizeCallerTime(p.EvaluatedAt), when)
	v.Metrics = m
	v.Validation.Results = merged
	v.Validation.ExtendedRevision = rev
	v.Validation.ExtendedEvaluatedAt = at
	v.Validation.ExtendedHistory = append(v.Validation.ExtendedHistory, ExtendedEntry{Revision: rev, EvaluatedAt: at, Results: append(RuleResults{}, merged...)})
	if len(p.ExtendedSummary) > 0 {
		v.Validation.ExtendedSummary = p.ExtendedSummary
	}
	return nil
}

// foldOverride writes the override fields (validation-core §10.1): absent
// reason and actor overwrite earlier ones with null, the timestamp defaults
// to the event time, and updated_at is the override timestamp.
func foldOverride(v *RunView, p *events.OverrideRecorded, when string) {
	ts := orDefault(p.Timestamp, when)
	v.Summary.Override = &Override{
		OverrideStatus:    p.Status,
		OverrideReason:    optional(p.Reason),
		OverrideActor:     optional(p.Actor),
		OverrideTimestamp: ts,
	}
	v.UpdatedAt = orDefault(normalizeCallerTime(ts), when)
}

func requireEvaluating(v *RunView, rec *events.Record) error {
	if v.Status != StatusEvaluating {
		return fmt.Errorf("evaluation run %s: %s while %s (results are immutable after the verdict)", v.RunID, rec.Type, v.Status)
	}
	return nil
}

// sharedValues hands out pointers to the values that many runs' views hold
// behind a pointer (policy version, ruleset hash, profile, model card
// version, active): one pointer per value, shared by every view that holds
// it, rather than one more object per run for the collector to mark. Folds
// replace a view's pointers and never write through them (see
// [runState.clone]), so sharing them is safe. A projection keeps one, used by
// its single writer; it forgets everything when it reaches
// maxSharedValues values (the pointers it handed out stay valid). The zero
// value is ready to use.
type sharedValues struct {
	strs      map[string]*string
	yes, no   *bool
	remembers int // for tests: the bound, maxSharedValues when 0
}

// maxSharedValues bounds a [sharedValues]: model card versions, one per
// strategy version, are the only values that may be many.
const maxSharedValues = 1024

// str returns a pointer to s, the same for every s of the same text.
func (sv *sharedValues) str(s string) *string {
	if p, ok := sv.strs[s]; ok {
		return p
	}
	limit := sv.remembers
	if limit == 0 {
		limit = maxSharedValues
	}
	if sv.strs == nil || len(sv.strs) >= limit {
		sv.strs = make(map[string]*string)
	}
	p := &s
	sv.strs[s] = p
	return p
}

// optional returns nil for "" and [sharedValues.str] of s otherwise.
func (sv *sharedValues) optional(s string) *string {
	if s == "" {
		return nil
	}
	return sv.str(s)
}

// boolean returns a pointer to b, the same for every b of the same value.
func (sv *sharedValues) boolean(b bool) *bool {
	p := &sv.no
	if b {
		p = &sv.yes
	}
	if *p == nil {
		*p = &b
	}
	return *p
}

// recordedNanos is t in nanoseconds since the Unix epoch, 0 for the zero
// time. The event store records times within the years 1678–2262 that
// UnixNano covers.
func recordedNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func ptr[T any](v T) *T { return &v }

// optional returns nil for "" and a pointer to s otherwise.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
