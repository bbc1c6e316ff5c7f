package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Error codes the service answers with (docs/api.md lists them all with their
// HTTP statuses). These are the ones a client usually branches on.
const (
	// CodeValidation: the request is invalid; [APIError.Problems] names
	// each offending field.
	CodeValidation = "E_VALIDATION"
	// CodeUnauthorized: no token, or an unknown one.
	CodeUnauthorized = "E_UNAUTHORIZED"
	// CodeForbidden: the token lacks the route's scope.
	CodeForbidden = "E_FORBIDDEN"
	// CodeConflict: the resource changed concurrently; retry.
	CodeConflict = "E_CONFLICT"
	// CodeUnavailable: the service is starting or stopping; retry later.
	CodeUnavailable = "E_UNAVAILABLE"
	// CodeBadRequest: the request is malformed (bad JSON, a bad query
	// parameter, which details.parameter names).
	CodeBadRequest = "E_BAD_REQUEST"
	// CodePayloadTooLarge: the request body is above the service's limit.
	CodePayloadTooLarge = "E_PAYLOAD_TOO_LARGE"
	// CodeNotFound: no such resource.
	CodeNotFound = "E_NOT_FOUND"
	// CodeIdempotencyKeyReused: the key was used for a different request.
	CodeIdempotencyKeyReused = "E_IDEMPOTENCY_KEY_REUSED"
	// CodeRunNotFound: no such evaluation run (or not yet, as of the
	// instant asked).
	CodeRunNotFound = "E_RUN_NOT_FOUND"
	// CodeRunNotEvaluated: the run has no verdict yet.
	CodeRunNotEvaluated = "E_RUN_NOT_EVALUATED"
	// CodeRunAlreadyEvaluated: the run id was evaluated for a different
	// request; use a new run id.
	CodeRunAlreadyEvaluated = "E_RUN_ALREADY_EVALUATED"
	// CodeRunAlreadySubmitted: the run id is being evaluated for a
	// different request; use a new run id.
	CodeRunAlreadySubmitted = "E_RUN_ALREADY_SUBMITTED"
	// CodePolicyInvalid: the policy document is invalid; [APIError.Problems]
	// names each problem with its path and code.
	CodePolicyInvalid = "E_POLICY_INVALID"
	// CodePolicyVersionNotFound: the world has no such policy version.
	CodePolicyVersionNotFound = "E_POLICY_VERSION_NOT_FOUND"
	// CodeModelCardInvalid: the model card lacks a required field or has
	// one of the wrong type; [APIError.Problems] names each.
	CodeModelCardInvalid = "E_MODEL_CARD_INVALID"
	// CodeModelCardNotFound: the strategy has no such model card version.
	CodeModelCardNotFound = "E_MODEL_CARD_NOT_FOUND"
	// CodeModelCardVersionConflict: the model card version is already
	// published with other content; publish the change as a new version.
	CodeModelCardVersionConflict = "E_MODEL_CARD_VERSION_CONFLICT"
)

// APIError is a request the service answered with an error status. Status is
// the HTTP status; Code, Message and Details are the service's error body
// ({"error": {"code", "message", "details"}}). An answer that is not such a
// body (a proxy's error page) has an empty Code and a Message quoting it.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is the machine-readable error code, such as E_VALIDATION.
	Code string
	// Message is the human-readable explanation; its wording is not a
	// contract.
	Message string
	// Details holds the code-specific details (problems, parameter, …), nil
	// when the answer had none.
	Details map[string]json.RawMessage
}

// Error renders the error as "worldval: STATUS CODE: message".
func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	return fmt.Sprintf("worldval: %d %s: %s", e.Status, code, e.Message)
}

// Problem is one defect of a rejected request body or policy document.
type Problem struct {
	// Path locates the offending field ("returns[3]",
	// "validation_profiles.backtest.performance.sharpe_min"; "" for the
	// whole body).
	Path string `json:"path"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Code is a policy problem's own code (E_POLICY_UNKNOWN_KEY, …), empty
	// for other requests.
	Code string `json:"code,omitempty"`
}

// Problems returns the problems of an E_VALIDATION, E_POLICY_INVALID or
// E_MODEL_CARD_INVALID answer (details.problems), nil when it lists none.
func (e *APIError) Problems() []Problem {
	var ps []Problem
	if raw, ok := e.Details["problems"]; ok {
		_ = json.Unmarshal(raw, &ps) // a malformed list is no list
	}
	return ps
}

// HasCode reports whether err is, or wraps, an [*APIError] with the given
// code.
func HasCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

// errorBody is the service's error body.
type errorBody struct {
	Error *struct {
		Code    string                     `json:"code"`
		Message string                     `json:"message"`
		Details map[string]json.RawMessage `json:"details"`
	} `json:"error"`
}

// decodeAPIError builds the error of a non-2xx answer from its body.
func decodeAPIError(status int, body []byte) *APIError {
	var b errorBody
	if err := json.Unmarshal(body, &b); err == nil && b.Error != nil && b.Error.Code != "" {
		return &APIError{Status: status, Code: b.Error.Code, Message: b.Error.Message, Details: b.Error.Details}
	}
	msg := strings.Join(strings.Fields(string(body)), " ")
	if len(msg) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	if msg == "" {
		msg = "the answer has no body"
	}
	return &APIError{Status: status, Message: "unexpected answer: " + msg}
}
