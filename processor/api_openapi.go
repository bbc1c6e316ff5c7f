package processor

import (
	_ "embed" // the OpenAPI document is embedded from processor/openapi.json
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of every route; it is kept
// in the repository as processor/openapi.json, and a test checks that it
// names exactly the routes the service registers. A string, so it cannot be
// modified.
//
//go:embed openapi.json
var openAPIDocument string

// openAPIHandler serves the OpenAPI document at GET /openapi.json, without
// authentication.
func openAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write([]byte(openAPIDocument))
	})
}
