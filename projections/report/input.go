package report

import (
	"encoding/json"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// Input is everything a report is built from. Only Run is required; every
// other member may be missing, and the report then says what it lacks.
type Input struct {
	// Run is the run as it stands (the current view, or the view as of an
	// instant).
	Run projections.RunView
	// History is every revision of the run up to Run, ascending.
	History []projections.HistoryEntry
	// Submission is the submission event: the return series and
	// derivation parameters the charts are drawn from.
	Submission *events.EvaluationRunSubmitted
	// Verdict is the evaluation-completed event: the canonical policy
	// snapshot (thresholds, modes, selection, extended blocks) its ruleset
	// hash covers. Nil before the verdict.
	Verdict *events.EvaluationCompleted
	// Override is the latest override event, for its review due date.
	Override *events.OverrideRecorded
	// ModelCard is the strategy's model card the run refers to (its
	// model_card_version, else the latest card), nil when there is none.
	ModelCard *ModelCard
	// Flat is the run's flat metric table (validation-core §5), which the
	// thresholds are read against; nil shows their values as n/a.
	Flat map[string]float64
	// GeneratedAt is when the report is generated.
	GeneratedAt time.Time
}

// ModelCard is one published model card (validation-core §12.2).
type ModelCard struct {
	// Version is the card's model_card_version.
	Version string
	// PublishedAt is when the version was published (RFC 3339), "" when
	// unknown.
	PublishedAt string
	// Document is the card (a JSON object).
	Document json.RawMessage
}
