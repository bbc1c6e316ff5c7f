package processor

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bearer tokens of the API tests, one role each.
const (
	apiRunnerToken    = "api-runner-0123456789abcdef"    // read, submit
	apiRiskToken      = "api-risk-0123456789abcdef"      // read, policy:write
	apiReaderToken    = "api-reader-0123456789abcdef"    // read
	apiValidatorToken = "api-validator-0123456789abcdef" // read, override:write
	apiNoToken        = ""
)

// apiHarness is a running service on a fresh data directory, reached over
// its real listener with the real authenticator.
type apiHarness struct {
	t    *testing.T
	svc  *Service
	base string
	// stop stops the service and checks that it stopped cleanly; it is
	// idempotent and also runs when the test ends.
	stop func()
}

// startAPI starts a service with the test tokens and waits until /readyz
// answers 200. The service stops, and its error is checked, when the test
// ends.
//
// The service runs without the evaluator, so that runs stay evaluating; see
// startAPIWithEvaluator.
func startAPI(t *testing.T, opts ...Option) *apiHarness {
	t.Helper()
	return startAPIIn(t, t.TempDir(), nil, opts...)
}

// startAPIIn is startAPI over an existing data directory; beforeRun, when
// not nil, sees the built service before it runs.
func startAPIIn(t *testing.T, dir string, beforeRun func(*Service), opts ...Option) *apiHarness {
	t.Helper()
	cfg := Config{
		DataDir: dir,
		HTTP:    HTTPConfig{Addr: "127.0.0.1:0"},
		Auth: AuthConfig{Tokens: []TokenConfig{
			{Principal: "runner", Secret: apiRunnerToken, Scopes: []Scope{ScopeRead, ScopeSubmit}},
			{Principal: "risk", Secret: apiRiskToken, Scopes: []Scope{ScopeRead, ScopePolicyWrite}},
			{Principal: "reader", Secret: apiReaderToken, Scopes: []Scope{ScopeRead}},
			{Principal: "validator", Secret: apiValidatorToken, Scopes: []Scope{ScopeRead, ScopeOverrideWrite}},
		}},
	}
	opts = append([]Option{func(o *options) {
		o.runCfg.lagInterval = 20 * time.Millisecond
		o.withoutEvaluator = true
	}}, opts...)
	svc, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(&testLogWriter{t: t}, nil)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if beforeRun != nil {
		beforeRun(svc)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("service stopped with %v", err)
			}
		})
	}
	t.Cleanup(stop)
	h := &apiHarness{t: t, svc: svc, base: "http://" + svc.Addr(), stop: stop}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(h.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("service not ready after 10s (last: %v)", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return h
}

// testLogWriter sends the service's log to t.Log, so that a failing test
// shows it.
type testLogWriter struct {
	t  *testing.T
	mu sync.Mutex
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// apiResponse is a response with its body read.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test when it is not JSON.
func (r apiResponse) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body is not the expected JSON (%v): %s", err, r.body)
	}
}

// apiErr is the product's error body.
type apiErr struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// errorBody decodes the error body, failing the test unless the status is
// status and the code is code.
func (r apiResponse) errorBody(t *testing.T, status int, code string) apiErr {
	t.Helper()
	var e apiErr
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	r.json(t, &e)
	if e.Error.Code != code || e.Error.Message == "" || e.Error.Details == nil {
		t.Fatalf("error %+v, want code %s with a message and details", e.Error, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type %q", ct)
	}
	return e
}

// problemPaths returns the paths of the problems an E_VALIDATION or
// E_POLICY_INVALID error lists.
func (e apiErr) problemPaths() []string {
	list, _ := e.Error.Details["problems"].([]any)
	var out []string
	for _, p := range list {
		m, _ := p.(map[string]any)
		s, _ := m["path"].(string)
		out = append(out, s)
	}
	return out
}

// do sends a request with token as bearer (none when empty); body is sent
// as is when it is a string or []byte and as JSON otherwise. headers are
// name, value pairs.
func (h *apiHarness) do(method, path, token string, body any, headers ...string) apiResponse {
	h.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: data}
}

// head returns the event store's head position.
func (h *apiHarness) head() uint64 {
	h.t.Helper()
	pos, err := h.svc.store.Head(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	return pos
}

// submit posts a submission as the runner and returns the response.
func (h *apiHarness) submit(world string, body any, headers ...string) apiResponse {
	h.t.Helper()
	return h.do(http.MethodPost, "/worlds/"+world+"/evaluations", apiRunnerToken, body, headers...)
}

// submitted is the answer to a submission.
type submitted struct {
	WorldID    string            `json:"world_id"`
	StrategyID string            `json:"strategy_id"`
	RunID      string            `json:"run_id"`
	Status     string            `json:"status"`
	Links      map[string]string `json:"links"`
}

// mustSubmit submits and fails the test unless the answer has status want.
func (h *apiHarness) mustSubmit(world string, body any, want int, headers ...string) submitted {
	h.t.Helper()
	resp := h.submit(world, body, headers...)
	if resp.status != want {
		h.t.Fatalf("submit: status %d, want %d: %s", resp.status, want, resp.body)
	}
	var s submitted
	resp.json(h.t, &s)
	return s
}

// startAPIWithEvaluator starts a service that runs the evaluator, so that
// submitted runs reach their verdict (startAPI leaves it out, so that runs
// stay evaluating).
func startAPIWithEvaluator(t *testing.T, opts ...Option) *apiHarness {
	t.Helper()
	return startAPIIn(t, t.TempDir(), nil, append([]Option{func(o *options) { o.withoutEvaluator = false }}, opts...)...)
}
