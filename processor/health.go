package processor

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// ReadinessCheck reports whether one dependency is ready to serve. It must
// return promptly; the probe gives it a short deadline.
type ReadinessCheck func(ctx context.Context) error

// healthHandler answers /healthz: the process is up and serving HTTP.
func healthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// readyHandler answers /readyz: 200 when every check passes, 503 naming the
// failing checks otherwise.
func readyHandler(checks map[string]ReadinessCheck) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := http.StatusOK
		results := make(map[string]string, len(checks))
		for name, check := range checks {
			if err := check(ctx); err != nil {
				status = http.StatusServiceUnavailable
				results[name] = err.Error()
				continue
			}
			results[name] = "ok"
		}
		body := map[string]any{"status": "ready", "checks": results}
		if status != http.StatusOK {
			body["status"] = "not ready"
		}
		writeJSON(w, status, body)
	})
}

// writeJSON writes v as the JSON response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the status line is out; a failed body write has no one to tell
}
