package processor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/policy"
)

// TestAPIErrorOfMapsEveryKindOfError checks the API's one translation of
// errors into codes (and through the registry into statuses).
func TestAPIErrorOfMapsEveryKindOfError(t *testing.T) {
	cases := []struct {
		err    error
		code   errcode.Code
		status int
	}{
		{fmt.Errorf("submit: %w", errcode.New(errcode.RunAlreadyEvaluated, "taken")), errcode.RunAlreadyEvaluated, 409},
		{&policy.Error{Problems: []policy.Problem{{Path: "a", Code: policy.CodeUnknownKey, Message: "unknown key"}}}, errcode.PolicyInvalid, 422},
		{&http.MaxBytesError{Limit: 10}, errcode.PayloadTooLarge, 413},
		{fmt.Errorf("append: %w", events.ErrPayloadTooLarge), errcode.PayloadTooLarge, 413},
		{fmt.Errorf("list: %w", projections.ErrInvalidCursor), errcode.BadRequest, 400},
		{fmt.Errorf("%w: status %q", projections.ErrInvalidQuery, "x"), errcode.BadRequest, 400},
		{fmt.Errorf("get: %w", projections.ErrNotFound), errcode.NotFound, 404},
		{fmt.Errorf("read: %w", eventstore.ErrClosed), errcode.Unavailable, 503},
		{context.Canceled, errcode.Unavailable, 503},
		{errors.New("disk on fire"), errcode.Internal, 500},
		{errcode.Wrap(errcode.Internal, errors.New("secret cause"), "do not show me"), errcode.Internal, 500},
	}
	for _, tc := range cases {
		e := apiErrorOf(tc.err)
		if e.Code != tc.code || e.HTTPStatus() != tc.status {
			t.Errorf("%v → %s %d, want %s %d", tc.err, e.Code, e.HTTPStatus(), tc.code, tc.status)
		}
		if e.Code == errcode.Internal && e.Message != "" {
			t.Errorf("%v: an internal error shows %q", tc.err, e.Message)
		}
	}
	pe := apiErrorOf(&policy.Error{Problems: []policy.Problem{{Path: "a"}, {Path: "b"}}})
	if ps, _ := pe.Details["problems"].([]policy.Problem); len(ps) != 2 {
		t.Fatalf("policy problems not in details: %v", pe.Details)
	}
}

func TestUnknownRoutesAndMethodsAnswerJSON(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	h.do(http.MethodGet, "/nope", apiReaderToken, nil).errorBody(t, http.StatusNotFound, "E_NOT_FOUND")
	h.do(http.MethodGet, "/worlds/w1", apiNoToken, nil).errorBody(t, http.StatusNotFound, "E_NOT_FOUND")
	resp := h.do(http.MethodDelete, "/worlds/w1/policies", apiRiskToken, nil)
	e := resp.errorBody(t, http.StatusMethodNotAllowed, "E_METHOD_NOT_ALLOWED")
	if allow := resp.header.Get("Allow"); allow == "" || e.Error.Details["allow"] != allow {
		t.Fatalf("405 Allow %q, details %v", allow, e.Error.Details)
	}
	// Probes and the document stay open; /metrics needs read.
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json"} {
		if got := h.do(http.MethodGet, path, apiNoToken, nil); got.status != http.StatusOK {
			t.Errorf("%s without a token: %d", path, got.status)
		}
	}
	h.do(http.MethodGet, "/metrics", apiNoToken, nil).errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
	if got := h.do(http.MethodGet, "/metrics", apiReaderToken, nil); got.status != http.StatusOK {
		t.Fatalf("/metrics with read: %d", got.status)
	}
}
