package processor

import (
	"net/http"

	"github.com/worldval/worldval/aggregates/errcode"
)

// apiErrorBody is the product's error body: {"error": {"code", "message",
// "details"}}.
type apiErrorBody struct {
	Error apiError `json:"error"`
}

// apiError is the inside of [apiErrorBody].
type apiError struct {
	Code    errcode.Code   `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// writeAuthError answers a refused request with e in the product's error
// body, with the HTTP status the error-code registry gives e's code. Missing
// details are written as an empty object, never null.
func writeAuthError(w http.ResponseWriter, e *errcode.Error) {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	message := e.Message
	if message == "" {
		message = e.Code.Description()
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.HTTPStatus(), apiErrorBody{Error: apiError{Code: e.Code, Message: message, Details: details}})
}
