package modelcard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/internal/canon"
	"github.com/worldval/worldval/events"
)

// Publish is the command that publishes one version of a strategy's model
// card.
type Publish struct {
	// Meta carries the idempotency key (required), the time and the actor.
	// Its Index is ignored.
	Meta events.Meta
	// StrategyID is the strategy the card documents; the card's
	// strategy_id must name it.
	StrategyID string
	// Version is the version the caller names outside the card (the
	// request path), "" for none; see [Check].
	Version string
	// Card is the card document, a JSON object.
	Card []byte
	// PublishedBy is the publishing principal.
	PublishedBy string
}

// Publish decides a publication: one ModelCardPublished with the card's
// version, the card compacted and its canonical checksum. A card without the
// minimum fields is E_MODEL_CARD_INVALID naming them (details "missing"
// and "problems"). Publishing a version again with the same content (by
// checksum), or retrying a command, yields no events; with other content it
// is E_MODEL_CARD_VERSION_CONFLICT.
func (c *Cards) Publish(reg *events.Registry, cmd Publish) ([]events.Event, error) {
	switch {
	case cmd.Meta.IdempotencyKey == "":
		return nil, errcode.New(errcode.Validation, "the publication has no idempotency key")
	case cmd.StrategyID == "":
		return nil, errcode.New(errcode.Validation, "strategy_id is required")
	case c.StrategyID() != "" && cmd.StrategyID != c.StrategyID():
		return nil, errcode.New(errcode.Validation, "model card of strategy %q sent to the stream of strategy %q", cmd.StrategyID, c.StrategyID())
	}
	version, missing, problems := Check(cmd.Card, cmd.StrategyID, cmd.Version)
	if len(problems) > 0 {
		msg := fmt.Sprintf("invalid model card: %s: %s", problems[0].Path, problems[0].Message)
		if len(missing) > 0 {
			msg = "invalid model card: missing required fields: " + strings.Join(missing, ", ")
		}
		if n := len(problems) - max(len(missing), 1); n > 0 {
			msg += fmt.Sprintf(" (and %d more problems)", n)
		}
		return nil, (&errcode.Error{Code: errcode.ModelCardInvalid, Message: msg}).
			WithDetail("missing", append([]string{}, missing...)).
			WithDetail("problems", problems)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, cmd.Card); err != nil {
		return nil, errcode.Wrap(errcode.ModelCardInvalid, err, "invalid model card: the card is not valid JSON")
	}
	sum, err := canon.Hash(compact.Bytes())
	if err != nil {
		return nil, errcode.Wrap(errcode.ModelCardInvalid, err, "invalid model card: the card is not valid JSON")
	}
	if i, used := c.keys[cmd.Meta.IdempotencyKey]; used {
		// A retry of the publication the key made appends nothing; the
		// key with another card is a different request.
		if have := c.published[i]; have.Version == version && have.Checksum == sum {
			return nil, nil
		}
		return nil, errcode.New(errcode.IdempotencyKeyReused, "the idempotency key already published model card version %s of strategy %s; this request differs from it", c.published[i].Version, cmd.StrategyID).
			WithDetail("strategy_id", cmd.StrategyID).WithDetail("model_card_version", c.published[i].Version)
	}
	if have, ok := c.Card(version); ok {
		if have.Checksum == sum {
			return nil, nil
		}
		return nil, errcode.New(errcode.ModelCardVersionConflict, "model card version %s of strategy %s is already published with different content; publish the change as a new version", version, cmd.StrategyID).
			WithDetail("strategy_id", cmd.StrategyID).WithDetail("model_card_version", version)
	}
	meta := cmd.Meta
	meta.Index = 0
	ev, err := reg.New(events.ModelCardPublished{
		StrategyID: cmd.StrategyID, Version: version, Card: compact.Bytes(), Checksum: sum, PublishedBy: cmd.PublishedBy,
	}, meta)
	if err != nil {
		return nil, fmt.Errorf("model card %s of %s: %w", version, cmd.StrategyID, err)
	}
	return []events.Event{ev}, nil
}
