package events

import "encoding/json"

// The model-card aggregate (stream model-card/{strategy}) holds the
// versioned model cards of one strategy (validation-core §12.2).
const (
	// CategoryModelCard is the stream category of the model-card aggregate.
	CategoryModelCard = "model-card"
	// TypeModelCardPublished is the type of [ModelCardPublished].
	TypeModelCardPublished = "ModelCardPublished"
)

// ModelCardStream names the stream of a strategy's model cards.
func ModelCardStream(strategy string) (string, error) {
	return Stream(CategoryModelCard, strategy)
}

// ModelCardPublished records one version of a strategy's model card. A
// version is published once; the latest publication is the card a run
// records when its submission names none (validation-core §2.2).
type ModelCardPublished struct {
	// StrategyID is the strategy the card documents.
	StrategyID string `json:"strategy_id"`
	// Version is the card's model_card_version, as the card names it.
	Version string `json:"model_card_version"`
	// Card is the card document (a JSON object with at least the minimum
	// fields of validation-core §12.2; extra fields are kept).
	Card json.RawMessage `json:"card"`
	// Checksum is the SHA-256 of the canonical card document.
	Checksum string `json:"checksum"`
	// PublishedBy is the principal that published the card.
	PublishedBy string `json:"published_by,omitempty"`
}
