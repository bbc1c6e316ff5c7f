package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/client"
)

// TestCodesAreTheServicesCodes keeps the client's code constants equal to
// codes of the service's registry, with the statuses the docs give.
func TestCodesAreTheServicesCodes(t *testing.T) {
	for _, c := range []string{
		client.CodeValidation, client.CodeUnauthorized, client.CodeForbidden, client.CodeConflict, client.CodeUnavailable,
		client.CodeBadRequest, client.CodePayloadTooLarge, client.CodeNotFound, client.CodeIdempotencyKeyReused,
		client.CodeRunNotFound, client.CodeRunNotEvaluated, client.CodeRunAlreadyEvaluated, client.CodeRunAlreadySubmitted,
		client.CodePolicyInvalid, client.CodePolicyVersionNotFound,
		client.CodeModelCardInvalid, client.CodeModelCardNotFound, client.CodeModelCardVersionConflict,
	} {
		if _, ok := errcode.Lookup(errcode.Code(c)); !ok {
			t.Errorf("%s is not in the service's error-code registry", c)
		}
	}
}

// fakeServer answers every request with handler and counts the requests.
func fakeServer(t *testing.T, handler func(n int64, w http.ResponseWriter, r *http.Request)) (*client.Client, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler(n.Add(1), w, r)
	}))
	t.Cleanup(srv.Close)
	return newClient(t, srv.URL, "tok"), &n
}

// unavailable answers 503 E_UNAVAILABLE with Retry-After: 0 (no wait).
func unavailable(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"error": {"code": "E_UNAVAILABLE", "message": "starting", "details": {}}}`))
}

func TestRetriesOnlyWhatIsSafe(t *testing.T) {
	c, n := fakeServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("User-Agent") == "" {
			t.Errorf("headers %v", r.Header)
		}
		if n <= 2 {
			unavailable(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"world_id": "w", "strategy_id": "s", "run_id": "r", "status": "evaluating", "links": {}}`))
	})
	s, err := c.Submit(t.Context(), "w", client.SubmitRequest{StrategyID: "s", RunID: "r", Returns: []float64{0.1}})
	if err != nil || !s.Created || n.Load() != 3 {
		t.Fatalf("submission with a run id: %+v, %v after %d requests", s, err, n.Load())
	}

	n.Store(0)
	_, err = c.Submit(t.Context(), "w", client.SubmitRequest{StrategyID: "s", Returns: []float64{0.1}})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || ae.Code != client.CodeUnavailable || n.Load() != 1 {
		t.Fatalf("submission without run id or key: %v after %d requests (must not be retried)", err, n.Load())
	}

	n.Store(0)
	none := newClient(t, c.BaseURL(), "tok", client.WithRetries(0))
	if _, err := none.Run(t.Context(), client.RunRef{WorldID: "w", StrategyID: "s", RunID: "r"}); !client.HasCode(err, client.CodeUnavailable) || n.Load() != 1 {
		t.Fatalf("read without retries: %v after %d requests", err, n.Load())
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	c, _ := fakeServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	})
	_, err := c.Policies(t.Context(), "w")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadGateway || ae.Code != "" || !strings.Contains(ae.Message, "bad gateway") {
		t.Fatalf("err %#v", err)
	}
	if !strings.Contains(err.Error(), "502 Bad Gateway") {
		t.Fatalf("message %q", err)
	}
}

func TestWaitForVerdictTimesOut(t *testing.T) {
	c, n := fakeServer(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			unavailable(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"error": {"code": "E_RUN_NOT_EVALUATED", "message": "evaluation run has no metrics yet", "details": {"status": "evaluating"}}}`))
	})
	start := time.Now()
	_, err := c.WaitForVerdict(t.Context(), client.RunRef{WorldID: "w", StrategyID: "s", RunID: "r"},
		client.Timeout(150*time.Millisecond), client.PollInterval(time.Millisecond, 20*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "still evaluating") {
		t.Fatalf("err %v", err)
	}
	if took := time.Since(start); took > 2*time.Second || n.Load() < 4 {
		t.Fatalf("the wait took %s and %d polls", took, n.Load())
	}
}

func TestNewRefusesBadBaseURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://h", "http://h/?q=1", "http://"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c, err := client.New("http://127.0.0.1:8080/prefix/")
	if err != nil || c.BaseURL() != "http://127.0.0.1:8080/prefix" {
		t.Fatalf("New with a prefix: %v, %v", c, err)
	}
}
