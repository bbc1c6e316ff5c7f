package processor

import "net/http"

// The API error codes of authentication and authorisation. They belong in
// the product's single error-code registry; until that registry exists they
// live here, and move there unchanged when it lands.
const (
	// codeUnauthenticated: no bearer token, a malformed one, or one that
	// matches no configured token. HTTP 401.
	codeUnauthenticated = "E_UNAUTHENTICATED"
	// codeForbidden: the caller is known but may not do this (a missing
	// scope), or, with no tokens configured, is not a loopback caller.
	// HTTP 403.
	codeForbidden = "E_FORBIDDEN"
)

// apiError is the product's error body: {"error": {"code", "message",
// "details"}}.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

// apiErrorBody is the inside of [apiError].
type apiErrorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// writeAPIError writes the product's error body with the given status.
// details may be nil; it is written as an empty object.
func writeAPIError(w http.ResponseWriter, status int, code, message string, details map[string]any) {
	if details == nil {
		details = map[string]any{}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, apiError{Error: apiErrorBody{Code: code, Message: message, Details: details}})
}
