package processor

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// testPolicyYAML is a small valid policy with two profiles.
const testPolicyYAML = `# backtest and paper thresholds
validation_profiles:
  backtest:
    performance: {sharpe_min: 0.05, max_dd_max: 0.3}
  paper:
    performance: {sharpe_min: 0.08}
default_profile_by_stage:
  backtest_only: backtest
  paper_only: paper
`

// testPolicyJSON is another valid policy, as JSON.
const testPolicyJSON = `{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}}}`

// published is the answer to a publication.
type published struct {
	WorldID        string            `json:"world_id"`
	Version        int               `json:"version"`
	DefaultVersion int               `json:"default_version"`
	RulesetHash    map[string]string `json:"ruleset_hash"`
	Warnings       []map[string]any  `json:"warnings"`
	Links          map[string]string `json:"links"`
}

// worldPolicies is the answer of GET /worlds/{world}/policies.
type worldPolicies struct {
	WorldID        string `json:"world_id"`
	DefaultVersion int    `json:"default_version"`
	Versions       []struct {
		Version     int               `json:"version"`
		Default     bool              `json:"default"`
		PublishedBy string            `json:"published_by"`
		RulesetHash map[string]string `json:"ruleset_hash"`
	} `json:"versions"`
}

// putPolicy publishes a document as the risk principal.
func (h *apiHarness) putPolicy(world, ctype, doc string, headers ...string) apiResponse {
	h.t.Helper()
	return h.do(http.MethodPut, "/worlds/"+world+"/policies", apiRiskToken, []byte(doc), append([]string{"Content-Type", ctype}, headers...)...)
}

func TestPolicyLifecycle(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	var none worldPolicies
	h.do(http.MethodGet, "/worlds/w1/policies", apiReaderToken, nil).json(t, &none)
	if none.WorldID != "w1" || none.DefaultVersion != 0 || none.Versions == nil || len(none.Versions) != 0 {
		t.Fatalf("a world without policies: %+v", none)
	}

	resp := h.putPolicy("w1", "application/yaml", testPolicyYAML)
	if resp.status != http.StatusCreated {
		t.Fatalf("PUT yaml: %d %s", resp.status, resp.body)
	}
	var v1 published
	resp.json(t, &v1)
	if v1.Version != 1 || v1.DefaultVersion != 1 || len(v1.RulesetHash) != 2 ||
		!strings.HasPrefix(v1.RulesetHash["backtest"], "blake3:") || v1.RulesetHash["backtest"] == v1.RulesetHash["paper"] ||
		v1.Links["self"] != "/worlds/w1/policies/1" || resp.header.Get("Location") != "/worlds/w1/policies/1" {
		t.Fatalf("v1 %+v", v1)
	}
	resp = h.putPolicy("w1", "application/json; charset=utf-8", testPolicyJSON)
	var v2 published
	resp.json(t, &v2)
	if resp.status != http.StatusCreated || v2.Version != 2 || v2.DefaultVersion != 1 {
		t.Fatalf("PUT json: %d %s", resp.status, resp.body)
	}
	afterTwo := h.head()

	var list worldPolicies
	h.do(http.MethodGet, "/worlds/w1/policies", apiReaderToken, nil).json(t, &list)
	if list.DefaultVersion != 1 || len(list.Versions) != 2 || !list.Versions[0].Default || list.Versions[1].Default ||
		list.Versions[0].PublishedBy != "risk" || list.Versions[0].RulesetHash["paper"] != v1.RulesetHash["paper"] {
		t.Fatalf("list %+v", list)
	}
	var doc struct {
		Version int             `json:"version"`
		Policy  json.RawMessage `json:"policy"`
	}
	h.do(http.MethodGet, "/worlds/w1/policies/1", apiReaderToken, nil).json(t, &doc)
	if doc.Version != 1 || !strings.Contains(string(doc.Policy), `"validation_profiles"`) || !strings.Contains(string(doc.Policy), `"paper_only"`) {
		t.Fatalf("policy 1: %+v", doc)
	}

	set := h.do(http.MethodPost, "/worlds/w1/policies/default", apiRiskToken, `{"version": 2}`)
	var changed map[string]any
	set.json(t, &changed)
	if set.status != http.StatusOK || changed["default_version"] != 2.0 || changed["previous_version"] != 1.0 {
		t.Fatalf("set default: %d %s", set.status, set.body)
	}
	h.do(http.MethodGet, "/worlds/w1/policies", apiReaderToken, nil).json(t, &list)
	if list.DefaultVersion != 2 || !list.Versions[1].Default {
		t.Fatalf("after set default: %+v", list)
	}

	// As of the second publication, version 1 was still the default; as of
	// the first, version 2 did not exist.
	recs, err := h.svc.store.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	atTwo := url.QueryEscape(recs[afterTwo-1].RecordedAt.Format(timeLayoutNano))
	atOne := url.QueryEscape(recs[0].RecordedAt.Format(timeLayoutNano))
	var past worldPolicies
	h.do(http.MethodGet, "/worlds/w1/policies?as_of="+atTwo, apiReaderToken, nil).json(t, &past)
	if past.DefaultVersion != 1 || len(past.Versions) != 2 {
		t.Fatalf("as of version 2's publication: %+v", past)
	}
	h.do(http.MethodGet, "/worlds/w1/policies?as_of="+atOne, apiReaderToken, nil).json(t, &past)
	if past.DefaultVersion != 1 || len(past.Versions) != 1 {
		t.Fatalf("as of version 1's publication: %+v", past)
	}
	h.do(http.MethodGet, "/worlds/w1/policies/2?as_of="+atOne, apiReaderToken, nil).errorBody(t, http.StatusNotFound, "E_POLICY_VERSION_NOT_FOUND")
	h.do(http.MethodGet, "/worlds/w1/policies/1?as_of=not-a-time", apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")

	// Unknown versions.
	h.do(http.MethodGet, "/worlds/w1/policies/9", apiReaderToken, nil).errorBody(t, http.StatusNotFound, "E_POLICY_VERSION_NOT_FOUND")
	h.do(http.MethodGet, "/worlds/w1/policies/one", apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
	before := h.head()
	h.do(http.MethodPost, "/worlds/w1/policies/default", apiRiskToken, `{"version": 9}`).errorBody(t, http.StatusNotFound, "E_POLICY_VERSION_NOT_FOUND")
	h.do(http.MethodPost, "/worlds/w9/policies/default", apiRiskToken, `{"version": 1}`).errorBody(t, http.StatusNotFound, "E_POLICY_VERSION_NOT_FOUND")
	e := h.do(http.MethodPost, "/worlds/w1/policies/default", apiRiskToken, `{"version": "2", "force": true}`).errorBody(t, http.StatusUnprocessableEntity, "E_VALIDATION")
	if paths := e.problemPaths(); !slices.Equal(paths, []string{"version", "force"}) {
		t.Fatalf("problem paths %q", paths)
	}
	if got := h.head(); got != before {
		t.Fatalf("refused requests appended %d events", got-before)
	}
}

// timeLayoutNano is RFC 3339 with nanoseconds, for as_of values.
const timeLayoutNano = "2006-01-02T15:04:05.999999999Z07:00"

func TestPolicyRejectsInvalidDocuments(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	bad := `validation_profiles:
  backtest:
    performance:
      sharpe_minn: 0.5
      severity: fatal
`
	e := h.putPolicy("w1", "application/yaml", bad).errorBody(t, http.StatusUnprocessableEntity, "E_POLICY_INVALID")
	want := []string{"validation_profiles.backtest.performance.sharpe_minn", "validation_profiles.backtest.performance.severity"}
	if paths := e.problemPaths(); !slices.Equal(paths, want) {
		t.Fatalf("problem paths %q, want %q", paths, want)
	}
	list, _ := e.Error.Details["problems"].([]any)
	first, _ := list[0].(map[string]any)
	if first["code"] != "E_POLICY_UNKNOWN_KEY" || first["message"] == "" {
		t.Fatalf("first problem %v", first)
	}
	h.putPolicy("w1", "application/json", `{"validation_profiles": `).errorBody(t, http.StatusUnprocessableEntity, "E_POLICY_INVALID")
	h.putPolicy("w1", "application/json", "validation_profiles: {}").errorBody(t, http.StatusUnprocessableEntity, "E_POLICY_INVALID")
	h.putPolicy("w1", "text/plain", testPolicyYAML).errorBody(t, http.StatusUnsupportedMediaType, "E_UNSUPPORTED_MEDIA_TYPE")
	if head := h.head(); head != 0 {
		t.Fatalf("invalid policies stored %d events", head)
	}
}

func TestPolicyWritesNeedTheScope(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	h.do(http.MethodPut, "/worlds/w1/policies", apiRunnerToken, []byte(testPolicyJSON)).errorBody(t, http.StatusForbidden, "E_FORBIDDEN")
	h.do(http.MethodPut, "/worlds/w1/policies", apiNoToken, []byte(testPolicyJSON)).errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
	h.do(http.MethodPost, "/worlds/w1/policies/default", apiReaderToken, `{"version": 1}`).errorBody(t, http.StatusForbidden, "E_FORBIDDEN")
	h.do(http.MethodGet, "/worlds/w1/policies", apiNoToken, nil).errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
	if head := h.head(); head != 0 {
		t.Fatalf("refused writes stored %d events", head)
	}
}

func TestPolicyPublicationIsIdempotentWithAKey(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	first := h.putPolicy("w1", "application/yaml", testPolicyYAML, "Idempotency-Key", "rollout-42")
	head := h.head()
	again := h.putPolicy("w1", "application/yaml", testPolicyYAML, "Idempotency-Key", "rollout-42")
	var a, b published
	first.json(t, &a)
	again.json(t, &b)
	if first.status != http.StatusCreated || again.status != http.StatusOK || a.Version != 1 || b.Version != 1 || h.head() != head {
		t.Fatalf("retry: %d %+v then %d %+v (head %d → %d)", first.status, a, again.status, b, head, h.head())
	}
	// The same key in another world is another publication.
	other := h.putPolicy("w2", "application/yaml", testPolicyYAML, "Idempotency-Key", "rollout-42")
	if other.status != http.StatusCreated {
		t.Fatalf("other world: %d %s", other.status, other.body)
	}
	head = h.head()
	e := h.putPolicy("w1", "application/json", testPolicyJSON, "Idempotency-Key", "rollout-42").errorBody(t, http.StatusConflict, "E_IDEMPOTENCY_KEY_REUSED")
	if e.Error.Details["version"] != 1.0 || h.head() != head {
		t.Fatalf("reused key: %v, head %d → %d", e.Error.Details, head, h.head())
	}
	// Without a key every PUT publishes.
	h.putPolicy("w1", "application/yaml", testPolicyYAML)
	var list worldPolicies
	h.do(http.MethodGet, "/worlds/w1/policies", apiReaderToken, nil).json(t, &list)
	if len(list.Versions) != 2 {
		t.Fatalf("versions %+v", list.Versions)
	}
}
