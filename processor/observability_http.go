package processor

import (
	"net/http"
	"strconv"
	"time"
)

// unmatchedRoute is the route label of requests no pattern matched (404s,
// 405s), so that scanners probing random paths add no series.
const unmatchedRoute = "unmatched"

// InstrumentHTTP wraps mux, which must be an [http.ServeMux] or route
// through one, counting every request and timing it in
// worldval_http_requests_total and worldval_http_request_duration_seconds,
// labelled by the route pattern that matched (such as "GET /healthz", never
// the raw path), the method and the status code. Put it outermost, directly
// around the mux: the mux records the pattern on the request it is given, so
// a middleware in between that replaces the request hides it. A nil
// *Metrics returns mux unchanged.
func (m *Metrics) InstrumentHTTP(mux http.Handler) http.Handler {
	if m == nil {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			p := recover()
			switch {
			case status != 0:
			case p != nil:
				status = http.StatusInternalServerError // net/http recovers the panic and drops the connection
			default:
				status = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = unmatchedRoute
			}
			labels := []string{route, methodLabel(r.Method), strconv.Itoa(status)}
			m.httpRequests.WithLabelValues(labels...).Inc()
			m.httpSeconds.WithLabelValues(labels...).Observe(time.Since(start).Seconds())
			if p != nil {
				panic(p)
			}
		}()
		mux.ServeHTTP(rec, r)
	})
}

// methodLabel bounds the method label to the standard methods, so that a
// client inventing methods adds no series.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// statusRecorder remembers the status code a handler writes. It unwraps to
// the original writer, so [http.ResponseController] still reaches its
// Flush, deadlines and Hijack.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first final status code and passes it on.
func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and passes the bytes on.
func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush passes a flush on, for handlers that assert [http.Flusher].
func (s *statusRecorder) Flush() {
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap returns the original writer, for [http.ResponseController].
func (s *statusRecorder) Unwrap() http.ResponseWriter {
	return s.ResponseWriter
}
