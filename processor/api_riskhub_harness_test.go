package processor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/risksnapshot"
	"github.com/worldval/worldval/events"
)

// Bearer tokens of the risk-hub tests.
const (
	hubWriterToken = "hub-writer-0123456789abcdef" // hub:write
	hubReaderToken = "hub-reader-0123456789abcdef" // read
)

// hubT0 is the start of the risk-hub tests' clock.
var hubT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// hubHarness is a running service with the risk hub, a settable clock and
// the service's internals at hand for the "nothing stored" checks.
type hubHarness struct {
	*apiHarness
	clock *testClock
	dir   string
}

// hubSetup adjusts the configuration of a hub harness.
type hubSetup func(*Config)

// withThreshold sets the offload threshold.
func withThreshold(n int) hubSetup {
	return func(c *Config) { c.RiskHub.InlineCovThreshold = n }
}

// withRedisBlobs keeps blobs in the test Redis server under a prefix of the
// test's own; the test fails without WORLDVAL_TEST_REDIS except under
// -short, where it is skipped.
func withRedisBlobs(t *testing.T) hubSetup {
	t.Helper()
	url := os.Getenv("WORLDVAL_TEST_REDIS")
	if url == "" {
		if testing.Short() {
			t.Skip("-short: no Redis server")
		}
		t.Fatal("WORLDVAL_TEST_REDIS is not set; run the suite with scripts/test.sh, which starts a Redis server (scripts/services/redis.sh)")
	}
	prefix := fmt.Sprintf("worldval-test-%d-%s:", time.Now().UnixNano(), strings.ReplaceAll(t.Name(), "/", "-"))
	return func(c *Config) {
		c.RiskHub.BlobStore = BlobStoreConfig{Type: BlobStoreRedis, RedisURL: url, RedisPrefix: prefix}
	}
}

// startHub starts a service with the risk hub over a fresh data directory.
func startHub(t *testing.T, setups ...hubSetup) *hubHarness {
	t.Helper()
	return startHubIn(t, t.TempDir(), &testClock{now: hubT0.Add(5 * time.Second)}, setups...)
}

// startHubIn starts a service with the risk hub over dir, reading clock.
func startHubIn(t *testing.T, dir string, clock *testClock, setups ...hubSetup) *hubHarness {
	t.Helper()
	cfg := Config{
		DataDir: dir,
		HTTP:    HTTPConfig{Addr: "127.0.0.1:0"},
		Auth: AuthConfig{Tokens: []TokenConfig{
			{Principal: "risk-engine", Secret: hubWriterToken, Scopes: []Scope{ScopeHubWrite}},
			{Principal: "reader", Secret: hubReaderToken, Scopes: []Scope{ScopeRead}},
		}},
	}
	for _, s := range setups {
		s(&cfg)
	}
	svc, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(&testLogWriter{t: t}, nil)),
		func(o *options) { o.runCfg.lagInterval = 20 * time.Millisecond; o.withoutEvaluator = true },
		withClock(clock))
	if err != nil {
		t.Fatal(err)
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
	h := &hubHarness{apiHarness: &apiHarness{t: t, svc: svc, base: "http://" + svc.Addr(), stop: stop}, clock: clock, dir: dir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(h.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return h
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("service not ready after 10s (last: %v)", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// post publishes body for world with the given actor and stage headers
// ("" leaves a header out).
func (h *hubHarness) post(world, actor, stage string, body any) apiResponse {
	h.t.Helper()
	var headers []string
	if actor != "" {
		headers = append(headers, "X-Actor", actor)
	}
	if stage != "" {
		headers = append(headers, "X-Stage", stage)
	}
	return h.do(http.MethodPost, "/risk-hub/worlds/"+world+"/snapshots", hubWriterToken, body, headers...)
}

// get reads a snapshot route as the reader.
func (h *hubHarness) get(path string) apiResponse {
	h.t.Helper()
	return h.do(http.MethodGet, path, hubReaderToken, nil)
}

// hubView is the representation the routes answer.
type hubView struct {
	WorldID            string             `json:"world_id"`
	AsOf               string             `json:"as_of"`
	Version            string             `json:"version"`
	Weights            map[string]float64 `json:"weights"`
	Covariance         map[string]float64 `json:"covariance"`
	CovarianceRef      string             `json:"covariance_ref"`
	RealizedReturns    json.RawMessage    `json:"realized_returns"`
	RealizedReturnsRef string             `json:"realized_returns_ref"`
	Stress             json.RawMessage    `json:"stress"`
	StressRef          string             `json:"stress_ref"`
	Provenance         map[string]any     `json:"provenance"`
	CreatedAt          string             `json:"created_at"`
	Hash               string             `json:"hash"`
	TTLSec             int64              `json:"ttl_sec"`
}

// view decodes a snapshot answer, failing unless the status is 200.
func (r apiResponse) view(t *testing.T) hubView {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	var v hubView
	r.json(t, &v)
	return v
}

// hubError checks an error answer of a risk-hub route: status, code and the
// exact message, in both detail and error.message.
func (r apiResponse) hubError(t *testing.T, status int, code, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var e struct {
		Detail string `json:"detail"`
		apiErr
	}
	r.json(t, &e)
	if e.Error.Code != code {
		t.Fatalf("code %s, want %s: %s", e.Error.Code, code, r.body)
	}
	if message != "" && (e.Detail != message || e.Error.Message != message) {
		t.Fatalf("detail %q / message %q, want %q", e.Detail, e.Error.Message, message)
	}
}

// recorded returns the RiskSnapshotRecorded events of world, in order.
func (h *hubHarness) recorded(world string) []*events.RiskSnapshotRecorded {
	h.t.Helper()
	stream, _ := events.RiskSnapshotStream(world)
	recs, err := h.svc.store.ReadStream(h.t.Context(), stream, 1, 0)
	if err != nil {
		return nil
	}
	out := make([]*events.RiskSnapshotRecorded, 0, len(recs))
	for i := range recs {
		p, err := events.DecodeAs[events.RiskSnapshotRecorded](events.Catalogue(), &recs[i].Event)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// blobExists returns the names of world's blobs the blob store holds, by
// probing every name a recorded or refused snapshot of version with hash
// could have.
func (h *hubHarness) blobExists(world, version, hash string) []string {
	h.t.Helper()
	var out []string
	for _, kind := range []string{risksnapshot.KindCovariance, risksnapshot.KindRealized, risksnapshot.KindStress} {
		name := risksnapshot.BlobName(world, version, kind, hash)
		ok, err := h.svc.hub.blobs.Exists(h.t.Context(), name)
		if err != nil {
			h.t.Fatal(err)
		}
		if ok {
			out = append(out, name)
		}
	}
	return out
}

// assertNothingStored checks that world has no event, no latest snapshot and
// that the blob directory of the file store holds no file.
func (h *hubHarness) assertNothingStored(world string) {
	h.t.Helper()
	if got := h.recorded(world); len(got) != 0 {
		h.t.Fatalf("%d events recorded for %s", len(got), world)
	}
	if resp := h.get("/risk-hub/worlds/" + world + "/snapshots/latest"); resp.status != http.StatusNotFound {
		h.t.Fatalf("latest of %s: %d %s", world, resp.status, resp.body)
	}
	if h.svc.cfg.RiskHub.BlobStore.Type == BlobStoreFile {
		var files []string
		_ = walkFiles(h.svc.cfg.RiskHub.BlobStore.BaseDir, &files)
		if len(files) != 0 {
			h.t.Fatalf("blob files left behind: %v", files)
		}
	}
	stream, _ := events.RiskSnapshotStream(world)
	if _, err := h.svc.hub.hub.ledgers.View(h.t.Context(), stream, func(l *risksnapshot.Ledger) {
		if l.Len() != 0 {
			h.t.Errorf("the ledger of %s holds %d versions", world, l.Len())
		}
	}); err != nil {
		h.t.Fatal(err)
	}
}

// walkFiles appends every regular file under dir.
func walkFiles(dir string, out *[]string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := dir + "/" + e.Name()
		if e.IsDir() {
			_ = walkFiles(p, out)
		} else {
			*out = append(*out, p)
		}
	}
	return nil
}

// snapshotBody returns a valid snapshot of version with extra members.
func snapshotBody(version string, extra map[string]any) map[string]any {
	b := map[string]any{"as_of": "2025-01-01T00:00:00Z", "version": version, "weights": map[string]any{"s1": 0.6, "s2": 0.4}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}
