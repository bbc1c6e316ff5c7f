package invariants

import (
	"strconv"
	"strings"
	"time"

	"github.com/worldval/worldval/validation/policy"
)

// World is what the invariants read of a world record (validation-core §1,
// §6.7). An unknown world is the zero World with its ID.
type World struct {
	// ID is the world's id.
	ID string
	// DefaultPolicyVersion is the world's default policy version; nil when
	// the world has no policy, which disables the policy-version half of
	// Invariant 1.
	DefaultPolicyVersion *int
	// RiskProfile is the world's risk_profile.
	RiskProfile policy.RiskProfile
	// ClientCritical is the world-level client_critical flag.
	ClientCritical bool
	// Validation is the world-level validation block; nil when the world
	// has none.
	Validation *Modes
}

// Modes is a validation block: on_error and on_missing_metric as written
// ("" when unset).
type Modes struct {
	// OnError is the on_error mode.
	OnError string
	// OnMissingMetric is the on_missing_metric mode.
	OnMissingMetric string
}

// HighTierCritical reports whether the world is high-tier critical
// (validation-core §1).
func (w World) HighTierCritical() bool {
	return w.RiskProfile.HighTierCritical(w.ClientCritical)
}

// Run is what the invariants read of one evaluation run (validation-core
// §2.2). Pointer fields are nil where the run's JSON has null.
type Run struct {
	// WorldID, StrategyID and RunID identify the run.
	WorldID    string
	StrategyID string // See WorldID.
	RunID      string // See WorldID.
	// Stage is the run's stage.
	Stage string
	// CreatedAt and UpdatedAt are the run's timestamps as recorded.
	CreatedAt string
	UpdatedAt string // See CreatedAt.
	// Status is summary.status ("" when absent).
	Status string
	// PolicyVersion is validation.policy_version.
	PolicyVersion *string
	// OverrideStatus is summary.override_status ("" when absent).
	OverrideStatus string
	// OverrideReason, OverrideActor and OverrideTimestamp are the override
	// fields of the summary.
	OverrideReason    *string
	OverrideActor     *string // See OverrideReason.
	OverrideTimestamp *string // See OverrideReason.
	// Metrics is the run's metrics document; only the twelve core paths
	// and diagnostics.validation_health are read.
	Metrics map[string]any
	// Results are the run's rule results in order, by name and reason
	// code.
	Results []Result
}

// Result is what the invariants read of one rule result.
type Result struct {
	// Name is the rule name.
	Name string
	// ReasonCode is the result's reason_code.
	ReasonCode string
}

// Check returns the invariant report of world over runs, given in input
// order (the order that breaks timestamp ties, CD10), at the instant now
// (which decides review_overdue). The caller filters runs (by strategy, or
// to those already evaluated); Check reads every run it is given.
func Check(world World, runs []Run, now time.Time) Report {
	r := Report{
		LiveStatusFailures:          []LiveStatusFailure{},
		LivePolicyVersionMismatches: []PolicyVersionMismatch{},
		FailClosedViolations:        []FailClosedViolation{},
		ApprovedOverrides:           []ApprovedOverride{},
		ValidationHealthGaps:        []HealthGap{},
	}
	for _, run := range latestLive(runs) {
		worldID := orDefault(world.ID, run.WorldID)
		if strings.ToLower(run.Status) != "pass" {
			r.LiveStatusFailures = append(r.LiveStatusFailures, LiveStatusFailure{
				WorldID: worldID, StrategyID: run.StrategyID, RunID: run.RunID, Status: optional(run.Status),
			})
		}
		if required := world.DefaultPolicyVersion; required != nil {
			if v, ok := policyVersion(run.PolicyVersion); !ok || v < *required {
				r.LivePolicyVersionMismatches = append(r.LivePolicyVersionMismatches, PolicyVersionMismatch{
					WorldID: worldID, StrategyID: run.StrategyID, RunID: run.RunID,
					PolicyVersion: run.PolicyVersion, RequiredPolicyVersion: *required,
				})
			}
		}
	}
	if v, bad := failClosed(world); bad {
		r.FailClosedViolations = append(r.FailClosedViolations, v)
	}
	critical := world.HighTierCritical()
	for i := range runs {
		run := &runs[i]
		if strings.ToLower(run.OverrideStatus) == "approved" {
			r.ApprovedOverrides = append(r.ApprovedOverrides, approved(world.ID, run, critical, now))
		}
		r.ValidationHealthGaps = append(r.ValidationHealthGaps, healthGaps(world.ID, run)...)
	}
	r.OK = len(r.LiveStatusFailures) == 0 && len(r.LivePolicyVersionMismatches) == 0 &&
		len(r.FailClosedViolations) == 0 && len(r.ApprovedOverrides) == 0 && len(r.ValidationHealthGaps) == 0
	return r
}

// latestLive returns, for each strategy, its live run with the greatest key
// (timestamp, input index), where the timestamp is created_at if non-empty,
// else updated_at, and a missing or unparseable one ranks below every
// parseable one (CD10). The strategies come in the order their first live
// run appears.
func latestLive(runs []Run) []Run {
	type ranked struct {
		run   Run
		ts    time.Time
		hasTS bool
	}
	index := map[string]int{}
	var latest []ranked
	for _, run := range runs {
		if strings.ToLower(run.Stage) != "live" {
			continue
		}
		ts, ok := ParseTimestamp(orDefault(run.CreatedAt, run.UpdatedAt))
		cand := ranked{run: run, ts: ts, hasTS: ok}
		i, seen := index[run.StrategyID]
		if !seen {
			index[run.StrategyID] = len(latest)
			latest = append(latest, cand)
			continue
		}
		// A later input position wins ties, so only a strictly older
		// timestamp keeps the current choice.
		cur := latest[i]
		older := cur.hasTS && (!cand.hasTS || cand.ts.Before(cur.ts))
		if !older {
			latest[i] = cand
		}
	}
	out := make([]Run, len(latest))
	for i, c := range latest {
		out[i] = c.run
	}
	return out
}

// policyVersion parses a recorded policy version as an integer.
func policyVersion(raw *string) (int, bool) {
	if raw == nil {
		return 0, false
	}
	v, err := strconv.Atoi(strings.TrimSpace(*raw))
	return v, err == nil
}

// failClosed checks Invariant 2 (validation-core §10.4).
func failClosed(w World) (FailClosedViolation, bool) {
	if !w.HighTierCritical() {
		return FailClosedViolation{}, false
	}
	var m Modes
	if w.Validation != nil {
		m = *w.Validation
	}
	onError, onMissing := strings.ToLower(m.OnError), strings.ToLower(m.OnMissingMetric)
	if onError == policy.ModeFail && onMissing == policy.ModeFail {
		return FailClosedViolation{}, false
	}
	return FailClosedViolation{WorldID: w.ID, OnError: orDefault(onError, "<unset>"), OnMissingMetric: orDefault(onMissing, "<unset>")}, true
}

// approved builds the re-review entry of an approved override (Invariant 3).
func approved(worldID string, run *Run, critical bool, now time.Time) ApprovedOverride {
	o := ApprovedOverride{
		WorldID: orDefault(worldID, run.WorldID), StrategyID: run.StrategyID, RunID: run.RunID, Stage: run.Stage,
		OverrideReason: run.OverrideReason, OverrideActor: run.OverrideActor, OverrideTimestamp: run.OverrideTimestamp,
		ReviewWindowDays: ReviewWindow(run.Stage, critical),
		MissingFields:    []string{},
	}
	if ts := run.OverrideTimestamp; ts != nil {
		if due, ok := ReviewDue(*ts, run.Stage, critical); ok {
			o.ReviewDueAt = optional(FormatTimestamp(due))
			overdue := now.After(due)
			o.ReviewOverdue = &overdue
		}
	}
	for _, f := range [...]struct {
		name string
		v    *string
	}{{"override_reason", run.OverrideReason}, {"override_actor", run.OverrideActor}, {"override_timestamp", run.OverrideTimestamp}} {
		if f.v == nil || *f.v == "" {
			o.MissingFields = append(o.MissingFields, f.name)
		}
	}
	return o
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// optional returns nil for "" and a pointer to s otherwise.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
