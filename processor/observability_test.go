package processor

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scrape fetches /metrics from a test server mounting m.Handler() and
// returns its sample lines.
func scrape(t *testing.T, m *Metrics) map[string]bool {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d, %v", resp.StatusCode, err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(body), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines[l] = true
		}
	}
	return lines
}

// hasPrefix reports whether some line starts with prefix.
func hasPrefix(lines map[string]bool, prefix string) bool {
	for l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestMetricsScrape(t *testing.T) {
	m := NewMetrics()
	m.CommandIngested("SubmitEvaluationRun", OutcomeAccepted)
	m.CommandIngested("SubmitEvaluationRun", OutcomeAccepted)
	m.CommandIngested("SubmitEvaluationRun", OutcomeDuplicate)
	m.CommandIngested("PublishPolicy", OutcomeRejected)
	m.ObserveAppend(300 * time.Microsecond)
	m.ObserveAppend(2 * time.Millisecond)
	m.ObserveEvaluation(1500 * time.Millisecond)
	m.SetProjectionLag("runs", 12, 1500*time.Millisecond)
	m.SetProjectionLag("policies", 0, 0)
	m.SubscriptionError("evaluator")
	m.SubscriptionError("evaluator")
	m.RunCompleted("warn")

	lines := scrape(t, m)
	for _, want := range []string{
		`worldval_commands_ingested_total{outcome="accepted",type="SubmitEvaluationRun"} 2`,
		`worldval_commands_ingested_total{outcome="duplicate",type="SubmitEvaluationRun"} 1`,
		`worldval_commands_ingested_total{outcome="rejected",type="PublishPolicy"} 1`,
		`worldval_eventstore_append_duration_seconds_count 2`,
		`worldval_eventstore_append_duration_seconds_bucket{le="0.0005"} 1`,
		`worldval_eventstore_append_duration_seconds_bucket{le="0.0025"} 2`,
		`worldval_eventstore_append_duration_seconds_sum 0.0023`,
		`worldval_evaluation_duration_seconds_count 1`,
		`worldval_evaluation_duration_seconds_bucket{le="1"} 0`,
		`worldval_evaluation_duration_seconds_bucket{le="2.5"} 1`,
		`worldval_projection_lag_events{projection="runs"} 12`,
		`worldval_projection_lag_seconds{projection="runs"} 1.5`,
		`worldval_projection_lag_events{projection="policies"} 0`,
		`worldval_subscription_errors_total{subscriber="evaluator"} 2`,
		`worldval_evaluation_runs_total{verdict="pass"} 0`,
		`worldval_evaluation_runs_total{verdict="warn"} 1`,
		`worldval_evaluation_runs_total{verdict="fail"} 0`,
	} {
		if !lines[want] {
			t.Errorf("scrape lacks %s", want)
		}
	}
	for _, prefix := range []string{"go_goroutines ", "go_memstats_alloc_bytes ", "process_start_time_seconds "} {
		if !hasPrefix(lines, prefix) {
			t.Errorf("scrape lacks %s(Go or process collector)", prefix)
		}
	}
}

// TestMetricsAreNotGlobal checks that two services do not share series.
func TestMetricsAreNotGlobal(t *testing.T) {
	a, b := NewMetrics(), NewMetrics()
	a.SubscriptionError("outbox")
	if hasPrefix(scrape(t, b), "worldval_subscription_errors_total") {
		t.Fatal("a series recorded on one Metrics shows on another")
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.CommandIngested("x", OutcomeFailed)
	m.ObserveAppend(time.Second)
	m.ObserveEvaluation(time.Second)
	m.SetProjectionLag("x", 1, time.Second)
	m.SubscriptionError("x")
	m.RunCompleted("pass")
	h := http.NotFoundHandler()
	if got := m.InstrumentHTTP(h); got == nil {
		t.Fatal("nil Metrics returned a nil handler")
	}
}

// TestInstrumentHTTP checks the request counter and latency histogram by
// route pattern (not path), method and status, with auth inside the mux.
func TestInstrumentHTTP(t *testing.T) {
	m := NewMetrics()
	a := newTestAuth(t)
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", healthHandler())
	mux.Handle("POST /runs/{id}", a.Require(ScopeSubmit, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	mux.Handle("GET /stream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush() // the recorder must still flush
		_, _ = w.Write([]byte("x"))
	}))
	mux.Handle("GET /boom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	h := m.InstrumentHTTP(mux)

	send := func(method, path, token string) int {
		r := httptest.NewRequest(method, path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	send("GET", "/healthz", "")
	send("GET", "/healthz", "")
	send("POST", "/runs/1", runnerSecret)
	send("POST", "/runs/2", runnerSecret)
	send("POST", "/runs/3", hubSecret)
	send("POST", "/runs/4", "")
	send("GET", "/nope/secret-path", "")
	send("BREW", "/healthz", "")
	send("GET", "/stream", "")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the middleware swallowed a handler's panic")
			}
		}()
		send("GET", "/boom", "")
	}()

	lines := scrape(t, m)
	for _, want := range []string{
		`worldval_http_requests_total{code="200",method="GET",route="GET /healthz"} 2`,
		`worldval_http_requests_total{code="201",method="POST",route="POST /runs/{id}"} 2`,
		`worldval_http_requests_total{code="403",method="POST",route="POST /runs/{id}"} 1`,
		`worldval_http_requests_total{code="401",method="POST",route="POST /runs/{id}"} 1`,
		`worldval_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`worldval_http_requests_total{code="405",method="OTHER",route="unmatched"} 1`,
		`worldval_http_requests_total{code="200",method="GET",route="GET /stream"} 1`,
		`worldval_http_requests_total{code="500",method="GET",route="GET /boom"} 1`,
		`worldval_http_request_duration_seconds_count{code="200",method="GET",route="GET /healthz"} 2`,
		`worldval_http_request_duration_seconds_count{code="201",method="POST",route="POST /runs/{id}"} 2`,
	} {
		if !lines[want] {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if hasPrefix(lines, `worldval_http_requests_total{code="404",method="GET",route="/nope`) {
		t.Error("a raw path became a route label")
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, LogConfig{Format: LogFormatJSON, Level: "WARN"})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("JSON format wrote %q: %v", buf.String(), err)
	}
	if rec["msg"] != "shown" || rec["level"] != "WARN" || rec["k"] != float64(1) {
		t.Fatalf("record %v", rec)
	}

	buf.Reset()
	log, err = NewLogger(&buf, LogConfig{}) // defaults: text, info
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("worldval serving", "http", "http://127.0.0.1:8080")
	if got := buf.String(); !strings.Contains(got, `level=INFO msg="worldval serving" http=http://127.0.0.1:8080`) || strings.Contains(got, "hidden") {
		t.Fatalf("text format wrote %q", got)
	}

	_, err = NewLogger(&buf, LogConfig{Format: "xml", Level: "loud"})
	assertProblems(t, err,
		`log.format: unknown format "xml" (want text or json)`,
		`log.level: unknown level "loud" (want debug, info, warn or error)`)
}

func TestHTTPConfigNewServer(t *testing.T) {
	var c HTTPConfig
	c.SetDefaults()
	var buf bytes.Buffer
	log, err := NewLogger(&buf, LogConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := c.NewServer(http.NotFoundHandler(), log)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 30*time.Second || srv.WriteTimeout != 60*time.Second ||
		srv.IdleTimeout != 120*time.Second || srv.Handler == nil || srv.ErrorLog == nil {
		t.Fatalf("server %+v", srv)
	}
	srv.ErrorLog.Print("http: Accept error: x")
	if !strings.Contains(buf.String(), "level=WARN") {
		t.Fatalf("server errors not logged as warnings: %q", buf.String())
	}
}

// TestMetricsRegistryTakesCollectors lets components add their own
// collectors to the service's registry.
func TestMetricsRegistryTakesCollectors(t *testing.T) {
	m := NewMetrics()
	m.Registry().MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "worldval_test_total", Help: "A test counter."}))
	if !scrape(t, m)["worldval_test_total 0"] {
		t.Fatal("a collector registered on Registry() is not served")
	}
}
