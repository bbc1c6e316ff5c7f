package processor

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// card returns a valid model card of strategy mom-1 at version.
func card(version string) map[string]any {
	return map[string]any{
		"strategy_id": "mom-1", "model_card_version": version, "objective": "capture 12-1 momentum",
		"data_overview": []any{"daily closes, S&P 500, 2000–2025"}, "key_assumptions": []any{"momentum persists"},
		"key_limitations": []any{"crashes after rebounds"}, "owner": "quant-a",
	}
}

type cardBody struct {
	StrategyID       string            `json:"strategy_id"`
	ModelCardVersion string            `json:"model_card_version"`
	Checksum         string            `json:"checksum"`
	PublishedAt      string            `json:"published_at"`
	PublishedBy      string            `json:"published_by"`
	Latest           bool              `json:"latest"`
	Card             map[string]any    `json:"card"`
	Links            map[string]string `json:"links"`
}

func TestModelCardLifecycle(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	var list struct {
		StrategyID    string  `json:"strategy_id"`
		LatestVersion *string `json:"latest_version"`
		ModelCards    []struct {
			ModelCardVersion string `json:"model_card_version"`
			Latest           bool   `json:"latest"`
		} `json:"model_cards"`
	}
	h.do(http.MethodGet, "/strategies/mom-1/model-cards", apiReaderToken, nil).json(t, &list)
	if list.LatestVersion != nil || list.ModelCards == nil || len(list.ModelCards) != 0 {
		t.Fatalf("no cards: %+v", list)
	}

	resp := h.do(http.MethodPut, "/strategies/mom-1/model-cards", apiRunnerToken, card("1.0"))
	var c cardBody
	resp.json(t, &c)
	if resp.status != http.StatusCreated || c.ModelCardVersion != "1.0" || !c.Latest || c.PublishedBy != "runner" || c.Card["owner"] != "quant-a" ||
		!strings.HasPrefix(c.Checksum, "sha256:") || resp.header.Get("Location") != "/strategies/mom-1/model-cards/1.0" {
		t.Fatalf("publish: %d %s", resp.status, resp.body)
	}
	before := h.head()
	if again := h.do(http.MethodPut, "/strategies/mom-1/model-cards", apiRunnerToken, card("1.0")); again.status != http.StatusOK {
		t.Fatalf("same card again: %d %s", again.status, again.body)
	}
	h.unchanged(before, "the same card again")
	// The version in the path stands in for a card without one.
	v2 := card("")
	delete(v2, "model_card_version")
	if resp := h.do(http.MethodPut, "/strategies/mom-1/model-cards/2.0", apiRunnerToken, v2); resp.status != http.StatusCreated {
		t.Fatalf("publish by path: %d %s", resp.status, resp.body)
	}

	h.do(http.MethodGet, "/strategies/mom-1/model-cards", apiReaderToken, nil).json(t, &list)
	if *list.LatestVersion != "2.0" || len(list.ModelCards) != 2 || list.ModelCards[0].Latest || !list.ModelCards[1].Latest {
		t.Fatalf("list %+v", list)
	}
	h.do(http.MethodGet, "/strategies/mom-1/model-cards/1.0", apiReaderToken, nil).json(t, &c)
	if c.ModelCardVersion != "1.0" || c.Latest || c.Card["objective"] != "capture 12-1 momentum" {
		t.Fatalf("get 1.0: %+v", c)
	}
	h.do(http.MethodGet, "/strategies/mom-1/model-cards/9.9", apiReaderToken, nil).errorBody(t, http.StatusNotFound, "E_MODEL_CARD_NOT_FOUND")
}

func TestModelCardRejections(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	h.do(http.MethodPut, "/strategies/mom-1/model-cards", apiRunnerToken, card("1.0"))
	changed := card("1.0")
	changed["objective"] = "something else"
	noFields := map[string]any{"strategy_id": "mom-1", "objective": "x"}
	cases := []struct {
		name    string
		path    string
		token   string
		body    any
		status  int
		code    string
		missing []string
	}{
		{"missing required fields", "/strategies/mom-1/model-cards", apiRunnerToken, noFields, 422, "E_MODEL_CARD_INVALID", []string{"model_card_version", "data_overview", "key_assumptions", "key_limitations"}},
		{"empty card", "/strategies/mom-1/model-cards", apiRunnerToken, map[string]any{}, 422, "E_MODEL_CARD_INVALID", []string{"strategy_id", "model_card_version", "objective", "data_overview", "key_assumptions", "key_limitations"}},
		{"wrong types", "/strategies/mom-1/model-cards", apiRunnerToken, map[string]any{"strategy_id": "mom-1", "version": "3", "objective": "x", "data_overview": 7, "key_assumptions": "a", "key_limitations": []any{}}, 422, "E_MODEL_CARD_INVALID", []string{}},
		{"another strategy's card", "/strategies/mom-2/model-cards", apiRunnerToken, card("1.0"), 422, "E_MODEL_CARD_INVALID", []string{}},
		{"path and card versions differ", "/strategies/mom-1/model-cards/2.0", apiRunnerToken, card("1.0"), 422, "E_MODEL_CARD_INVALID", []string{}},
		{"not an object", "/strategies/mom-1/model-cards", apiRunnerToken, `["a"]`, 422, "E_MODEL_CARD_INVALID", []string{}},
		{"malformed JSON", "/strategies/mom-1/model-cards", apiRunnerToken, `{"a":`, 400, "E_BAD_REQUEST", nil},
		{"version republished with other content", "/strategies/mom-1/model-cards", apiRunnerToken, changed, 409, "E_MODEL_CARD_VERSION_CONFLICT", nil},
		{"read scope", "/strategies/mom-1/model-cards", apiReaderToken, card("5.0"), 403, "E_FORBIDDEN", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.head()
			e := h.do(http.MethodPut, tc.path, tc.token, tc.body).errorBody(t, tc.status, tc.code)
			if tc.missing != nil {
				var missing []string
				for _, m := range e.Error.Details["missing"].([]any) {
					missing = append(missing, m.(string))
				}
				if !slices.Equal(missing, tc.missing) && !(len(missing) == 0 && len(tc.missing) == 0) {
					t.Fatalf("missing %v, want %v", missing, tc.missing)
				}
				if len(e.problemPaths()) == 0 {
					t.Fatal("no problems listed")
				}
				for _, m := range tc.missing {
					if !strings.Contains(e.Error.Message, m) {
						t.Fatalf("message %q does not name %s", e.Error.Message, m)
					}
				}
			}
			h.unchanged(before, tc.name)
		})
	}
}

// TestRunsRecordTheModelCardVersion checks validation-core §2.2: a
// submission naming a model card version records it; one naming none
// records the strategy's latest card at submission time, or null without
// cards; a retry after a newer card still names the same run.
func TestRunsRecordTheModelCardVersion(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	version := func(run string) any {
		t.Helper()
		var v map[string]any
		h.do(http.MethodGet, "/worlds/w1/strategies/mom-1/runs/"+run, apiReaderToken, nil).json(t, &v)
		return v["model_card_version"]
	}
	submit := func(run, card string, want int) {
		t.Helper()
		body := validSubmission("mom-1")
		body["run_id"] = run
		if card != "" {
			body["model_card_version"] = card
		}
		h.mustSubmit("w1", body, want)
	}
	submit("r0", "", http.StatusAccepted)
	if v := version("r0"); v != nil {
		t.Fatalf("no cards: model_card_version %v, want null", v)
	}
	h.do(http.MethodPut, "/strategies/mom-1/model-cards", apiRunnerToken, card("1.0"))
	submit("r1", "", http.StatusAccepted)
	submit("r2", "0.9-explicit", http.StatusAccepted)
	h.do(http.MethodPut, "/strategies/mom-1/model-cards", apiRunnerToken, card("2.0"))
	submit("r3", "", http.StatusAccepted)
	for run, want := range map[string]string{"r1": "1.0", "r2": "0.9-explicit", "r3": "2.0"} {
		if got := version(run); got != want {
			t.Errorf("%s: model_card_version %v, want %s", run, got, want)
		}
	}
	before := h.head()
	submit("r1", "", http.StatusOK) // a retry after card 2.0: the same run, nothing appended
	h.unchanged(before, "a retried submission")
}

// TestModelCardIdempotencyKey: the same Idempotency-Key with the same card
// is a retry (200, nothing appended); with another card, whether a new
// version or the same version changed, it is 409 E_IDEMPOTENCY_KEY_REUSED
// and nothing is appended.
func TestModelCardIdempotencyKey(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	if resp := h.do(http.MethodPut, "/strategies/mom-1/model-cards", apiRunnerToken, card("1.0"), "Idempotency-Key", "card-rollout-1"); resp.status != http.StatusCreated {
		t.Fatalf("first publication: %d %s", resp.status, resp.body)
	}
	before := h.head()
	if resp := h.do(http.MethodPut, "/strategies/mom-1/model-cards", apiRunnerToken, card("1.0"), "Idempotency-Key", "card-rollout-1"); resp.status != http.StatusOK {
		t.Fatalf("retry: %d %s", resp.status, resp.body)
	}
	h.unchanged(before, "retry")
	changed := card("1.0")
	changed["objective"] = "something else"
	for name, body := range map[string]any{"another version": card("2.0"), "the same version changed": changed} {
		e := h.do(http.MethodPut, "/strategies/mom-1/model-cards", apiRunnerToken, body, "Idempotency-Key", "card-rollout-1").
			errorBody(t, http.StatusConflict, "E_IDEMPOTENCY_KEY_REUSED")
		if e.Error.Details["model_card_version"] != "1.0" {
			t.Errorf("%s: details %v, want the version the key published", name, e.Error.Details)
		}
		h.unchanged(before, name)
	}
}
