package processor

import (
	"net/http"

	"github.com/worldval/worldval/aggregates/errcode"
)

// jsonFallback serves mux, answering what the mux itself would answer for a
// request no route matches — 404 for an unknown path, 405 (with Allow) for a
// method the path does not support — in the product's error body instead of
// net/http's plain text. Other mux answers (path-cleaning redirects) pass
// through unchanged. Put [Metrics.InstrumentHTTP] around it: the mux still
// sets the matched pattern on the request it is given.
func (a *api) jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &headerRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusNotFound:
			writeAPIError(w, r, a.log, errcode.New(errcode.NotFound, "no route for %s %s; GET /openapi.json lists the routes", r.Method, r.URL.Path))
		case http.StatusMethodNotAllowed:
			allow := rec.header.Get("Allow")
			w.Header().Set("Allow", allow)
			writeAPIError(w, r, a.log, errcode.New(errcode.MethodNotAllowed, "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow).
				WithDetail("allow", allow))
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// headerRecorder captures the status and headers of the mux's own answer and
// discards its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }

func (h *headerRecorder) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return len(b), nil
}

func (h *headerRecorder) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}
