package processor

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/modelcard"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/invariants"
)

// commandPublishModelCard is the command type of a model card publication
// in worldval_commands_ingested_total.
const commandPublishModelCard = "PublishModelCard"

// modelCardInfo describes one published model card version.
type modelCardInfo struct {
	ModelCardVersion string `json:"model_card_version"`
	Checksum         string `json:"checksum"`
	PublishedAt      string `json:"published_at"`
	PublishedBy      string `json:"published_by,omitempty"`
	Latest           bool   `json:"latest"`
}

// modelCardResponse is one model card version with its document.
type modelCardResponse struct {
	StrategyID string `json:"strategy_id"`
	modelCardInfo
	Card  json.RawMessage   `json:"card"`
	Links map[string]string `json:"links"`
}

// modelCardListResponse lists a strategy's model card versions in
// publication order.
type modelCardListResponse struct {
	StrategyID    string          `json:"strategy_id"`
	LatestVersion *string         `json:"latest_version"`
	ModelCards    []modelCardInfo `json:"model_cards"`
}

// modelCardsLink returns the path of a strategy's model cards.
func modelCardsLink(strategy string) string {
	return "/strategies/" + url.PathEscape(strategy) + "/model-cards"
}

// loadModelCards folds a strategy's model card stream. A strategy id no
// stream can have has no cards.
func (a *api) loadModelCards(ctx context.Context, strategy string) (*modelcard.Cards, error) {
	stream, err := events.ModelCardStream(strategy)
	if err != nil {
		return &modelcard.Cards{}, nil
	}
	snap, err := aggregates.Load[modelcard.Cards](ctx, a.repo, stream)
	if err != nil {
		return nil, fmt.Errorf("model cards of %s: %w", strategy, err)
	}
	return snap.State, nil
}

// latestModelCardVersion returns the version of the strategy's latest model
// card, "" when it has none: what a submission naming no card records
// (validation-core §2.2).
func (a *api) latestModelCardVersion(ctx context.Context, strategy string) (string, error) {
	cards, err := a.loadModelCards(ctx, strategy)
	if err != nil {
		return "", err
	}
	c, _ := cards.Latest()
	return c.Version, nil
}

// cardResponse renders one card.
func cardResponse(cards *modelcard.Cards, c modelcard.Card) modelCardResponse {
	return modelCardResponse{
		StrategyID:    c.StrategyID,
		modelCardInfo: cardInfo(cards, c),
		Card:          c.Card,
		Links: map[string]string{
			"self":        modelCardsLink(c.StrategyID) + "/" + url.PathEscape(c.Version),
			"model_cards": modelCardsLink(c.StrategyID),
		},
	}
}

func cardInfo(cards *modelcard.Cards, c modelcard.Card) modelCardInfo {
	latest, _ := cards.Latest()
	return modelCardInfo{
		ModelCardVersion: c.Version, Checksum: c.Checksum, PublishedAt: invariants.FormatTimestamp(c.PublishedAt),
		PublishedBy: c.PublishedBy, Latest: latest.Version == c.Version,
	}
}

// putModelCard answers PUT /strategies/{strategy}/model-cards and PUT
// /strategies/{strategy}/model-cards/{version}: the body is a model card
// (a JSON object with the minimum fields of validation-core §12.2:
// strategy_id, model_card_version or version, objective, data_overview,
// key_assumptions, key_limitations; extra fields are kept). A new version
// is published and answered 201; publishing a version again with the same
// content appends nothing and answers 200. A card without the minimum fields
// is 422 E_MODEL_CARD_INVALID naming them (details.missing and
// details.problems); a version already published with other content is 409
// E_MODEL_CARD_VERSION_CONFLICT. An Idempotency-Key makes a retry safe: the
// same key with the same card answers 200, with any other card 409
// E_IDEMPOTENCY_KEY_REUSED. In the second form the path names the version:
// the card's own, if any, must equal it.
func (a *api) putModelCard(w http.ResponseWriter, r *http.Request) (err error) {
	duplicate := false
	defer func() { a.countCommand(commandPublishModelCard, duplicate, err) }()

	strategy, pathVersion := r.PathValue("strategy"), r.PathValue("version")
	var ps problems
	checkID(&ps, "strategy_id", strategy)
	if pathVersion != "" {
		checkID(&ps, "model_card_version", pathVersion)
	}
	clientKey := checkKey(&ps, "", r.Header.Get("Idempotency-Key"))
	if err := ps.err("the request is invalid"); err != nil {
		return err
	}
	body, _, err := readBody(w, r, a.maxBody, "application/json")
	if err != nil {
		return err
	}
	if _, err := decodeObject(body); err != nil {
		e, _ := errcode.From(err)
		if e == nil || e.Code != errcode.Validation {
			return err // malformed JSON, an empty body
		}
		// Not an object, or an object with a repeated member.
		return (&errcode.Error{Code: errcode.ModelCardInvalid, Message: "invalid model card: " + e.Message}).
			WithDetail("missing", []string{}).WithDetail("problems", e.Details["problems"])
	}
	stream, err := events.ModelCardStream(strategy)
	if err != nil {
		return errcode.Wrap(errcode.Validation, err, "strategy_id cannot name a model card stream")
	}
	if clientKey == "" {
		clientKey = "gen:" + rand.Text()
	}
	principal, _ := PrincipalFrom(r.Context())
	cmd := modelcard.Publish{
		Meta:       events.Meta{IdempotencyKey: commandPublishModelCard + ":" + stream + ":" + clientKey, OccurredAt: a.now().UTC(), Actor: principal},
		StrategyID: strategy, Version: pathVersion, Card: body, PublishedBy: principal,
	}
	res, err := aggregates.Update(r.Context(), a.repo, stream, func(c *modelcard.Cards) ([]events.Event, error) {
		return c.Publish(a.reg, cmd)
	})
	if err != nil {
		return err
	}
	duplicate = res.Duplicate
	version, _, _ := modelcard.Check(body, strategy, pathVersion)
	cards, err := a.loadModelCards(r.Context(), strategy)
	if err != nil {
		return err
	}
	c, ok := cards.Card(version)
	if !ok {
		return fmt.Errorf("model card %s of %s: not found after its publication", version, strategy)
	}
	code := http.StatusCreated
	if duplicate {
		code = http.StatusOK
	}
	out := cardResponse(cards, c)
	w.Header().Set("Location", out.Links["self"])
	writeJSON(w, code, out)
	return nil
}

// listModelCards answers GET /strategies/{strategy}/model-cards: the
// strategy's card versions in publication order and the latest one (null
// and an empty list for a strategy without cards).
func (a *api) listModelCards(w http.ResponseWriter, r *http.Request) error {
	if _, err := readQuery(r); err != nil {
		return err
	}
	strategy := r.PathValue("strategy")
	cards, err := a.loadModelCards(r.Context(), strategy)
	if err != nil {
		return err
	}
	out := modelCardListResponse{StrategyID: strategy, ModelCards: []modelCardInfo{}}
	for _, c := range cards.All() {
		out.ModelCards = append(out.ModelCards, cardInfo(cards, c))
	}
	if latest, ok := cards.Latest(); ok {
		out.LatestVersion = &latest.Version
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getModelCard answers GET /strategies/{strategy}/model-cards/{version}: one
// card version with its document; 404 E_MODEL_CARD_NOT_FOUND for a version
// the strategy does not have.
func (a *api) getModelCard(w http.ResponseWriter, r *http.Request) error {
	if _, err := readQuery(r); err != nil {
		return err
	}
	strategy, version := r.PathValue("strategy"), r.PathValue("version")
	cards, err := a.loadModelCards(r.Context(), strategy)
	if err != nil {
		return err
	}
	c, ok := cards.Card(version)
	if !ok {
		return errcode.New(errcode.ModelCardNotFound, "strategy %s has no model card version %s", strategy, version).
			WithDetail("strategy_id", strategy).WithDetail("model_card_version", version)
	}
	writeJSON(w, http.StatusOK, cardResponse(cards, c))
	return nil
}

// withModelCard returns the submission with the model card it records
// when it names none (validation-core §2.2): for a new run latest, the
// strategy's latest card version at submission time ("" for none); for a
// run that exists — a retry — the version the run recorded, so that a card
// published in between does not turn the retry into a conflict.
func withModelCard(cmd evaluationrun.Submit, run *evaluationrun.Run, latest string) evaluationrun.Submit {
	if cmd.Request.ModelCardVersion != "" {
		return cmd
	}
	if run.Exists() {
		cmd.Request.ModelCardVersion = run.Request.ModelCardVersion
	} else {
		cmd.Request.ModelCardVersion = latest
	}
	return cmd
}
