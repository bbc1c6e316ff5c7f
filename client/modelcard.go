package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// ModelCardInfo describes one published model card version.
type ModelCardInfo struct {
	// Version is the card's model_card_version.
	Version string `json:"model_card_version"`
	// Checksum is the SHA-256 of the canonical card document
	// ("sha256:…").
	Checksum string `json:"checksum"`
	// PublishedAt is when the version was published (second precision).
	PublishedAt time.Time `json:"published_at"`
	// PublishedBy is the publishing principal, "" when unknown.
	PublishedBy string `json:"published_by,omitempty"`
	// Latest is true for the strategy's most recently published version:
	// the one a submission naming no model card version records.
	Latest bool `json:"latest"`
}

// ModelCard is one published model card version with its document.
type ModelCard struct {
	// StrategyID is the strategy the card documents.
	StrategyID string `json:"strategy_id"`
	// ModelCardInfo describes the version.
	ModelCardInfo
	// Card is the document as published (compacted JSON; its members and
	// their order are the publisher's).
	Card json.RawMessage `json:"card"`
	// Links are the paths of this version ("self") and of the strategy's
	// cards ("model_cards").
	Links map[string]string `json:"links"`
	// Created is true when this request published the version (201),
	// false when the same content was already published under it (200).
	Created bool `json:"-"`
}

// StrategyModelCards lists a strategy's model card versions.
type StrategyModelCards struct {
	// StrategyID is the strategy listed.
	StrategyID string `json:"strategy_id"`
	// LatestVersion is the latest card version, "" when the strategy has
	// no card.
	LatestVersion string `json:"latest_version"`
	// ModelCards are the versions in publication order, without their
	// documents.
	ModelCards []ModelCardInfo `json:"model_cards"`
}

// PublishModelCard publishes card, a model card document (a JSON object), as
// a version of strategy's model card (validation-core §12.2). The card must
// carry strategy_id (equal to strategy), model_card_version (or version),
// objective, data_overview (a string or a list of strings),
// key_assumptions and key_limitations (lists of strings); other members are
// kept and shown in the strategy's validation reports. A card without them
// is an [*APIError] with code [CodeModelCardInvalid] whose
// [APIError.Problems] name each field; a version already published with other
// content is [CodeModelCardVersionConflict].
//
// Publishing a version again with the same content records nothing and
// answers with Created false, so the call is retried after a 503 even
// without an [IdempotencyKey]. Runs submitted afterwards that name no model
// card version record the latest one.
func (c *Client) PublishModelCard(ctx context.Context, strategy string, card json.RawMessage, opts ...WriteOption) (*ModelCard, error) {
	// A publication is idempotent by content (the version is in the card),
	// so repeating it after a 503 cannot publish twice.
	req := request{method: http.MethodPut, path: modelCardsPath(strategy), body: card, contentType: "application/json", retry: true}
	for _, o := range opts {
		o(&req)
	}
	req.retry = true // an IdempotencyKey("") must not turn retries off
	var mc ModelCard
	status, err := c.do(ctx, req, &mc)
	if err != nil {
		return nil, fmt.Errorf("publish a model card for %s: %w", strategy, err)
	}
	mc.Created = status == http.StatusCreated
	return &mc, nil
}

// ModelCards lists strategy's model card versions and its latest; a
// strategy without cards has none and LatestVersion "".
func (c *Client) ModelCards(ctx context.Context, strategy string) (*StrategyModelCards, error) {
	var l StrategyModelCards // a null latest_version leaves it ""
	if err := c.get(ctx, modelCardsPath(strategy), nil, &l); err != nil {
		return nil, fmt.Errorf("model cards of %s: %w", strategy, err)
	}
	return &l, nil
}

// ModelCard returns one version of strategy's model card with its document;
// a version the strategy does not have is [CodeModelCardNotFound].
func (c *Client) ModelCard(ctx context.Context, strategy, version string) (*ModelCard, error) {
	var mc ModelCard
	if err := c.get(ctx, modelCardsPath(strategy)+"/"+url.PathEscape(version), nil, &mc); err != nil {
		return nil, fmt.Errorf("model card %s of %s: %w", version, strategy, err)
	}
	return &mc, nil
}

// modelCardsPath returns the escaped path of a strategy's model cards.
func modelCardsPath(strategy string) string {
	return "/strategies/" + url.PathEscape(strategy) + "/model-cards"
}
