package processor

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/risksnapshot"
	"github.com/worldval/worldval/events"
)

// specExampleHash is the hash of the example of risk-hub spec §2.11 (world
// w, as_of 2025-01-01T00:00:00Z, version v1, weights {"s1": 1.0}, actor
// gateway, stage paper, default TTL), as the spec prints it.
const specExampleHash = "sha256:2db8b354ba3fc44c5c374acc82152030ca9cd6855a747480e2b997f57d02108a"

func TestHubRecordAndRead(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	resp := h.post("w", "gateway", "paper", `{"as_of":"2025-01-01T00:00:00Z","version":"v1","weights":{"s1":1.0}}`)
	v := resp.view(t)
	if v.Hash != specExampleHash || v.CreatedAt != "2025-01-01T00:00:05Z" || v.TTLSec != 900 || v.WorldID != "w" ||
		v.Provenance["actor"] != "gateway" || v.Provenance["stage"] != "paper" || resp.header.Get("Idempotent-Replay") != "" {
		t.Fatalf("recorded %+v (headers %v)", v, resp.header)
	}
	for _, path := range []string{
		"/risk-hub/worlds/w/snapshots/latest",
		"/risk-hub/worlds/w/snapshots/latest?stage=PAPER&actor=gateway",
		"/risk-hub/worlds/w/snapshots/lookup?version=v1",
		"/risk-hub/worlds/w/snapshots/lookup?as_of=2025-01-01T00:00:00Z",
		"/risk-hub/worlds/w/snapshots/lookup",
	} {
		if got := h.get(path).view(t); got.Version != "v1" || got.Hash != specExampleHash {
			t.Fatalf("%s: %+v", path, got)
		}
	}
	var list struct {
		Snapshots []hubView `json:"snapshots"`
	}
	h.get("/risk-hub/worlds/w/snapshots?limit=5").json(t, &list)
	if len(list.Snapshots) != 1 || list.Snapshots[0].Version != "v1" {
		t.Fatalf("list %+v", list)
	}
	for _, path := range []string{
		"/risk-hub/worlds/w/snapshots/latest?stage=live",
		"/risk-hub/worlds/w/snapshots/lookup?version=v2",
		"/risk-hub/worlds/w/snapshots/lookup?as_of=2024-12-31T23:59:59Z",
		"/risk-hub/worlds/other/snapshots/latest",
	} {
		h.get(path).hubError(t, http.StatusNotFound, "E_SNAPSHOT_NOT_FOUND", "snapshot not found")
	}
	for _, tc := range []struct{ path, msg string }{
		{"/risk-hub/worlds/w/snapshots?limit=0", `limit must be a positive integer, got "0"`},
		{"/risk-hub/worlds/w/snapshots?limit=x", `limit must be a positive integer, got "x"`},
		{"/risk-hub/worlds/w/snapshots/latest?expand=maybe", `expand must be a boolean (true or false), got "maybe"`},
		{"/risk-hub/worlds/w/snapshots/lookup?as_of=2025-01-01", "invalid as_of timestamp: 2025-01-01"},
	} {
		h.get(tc.path).hubError(t, http.StatusBadRequest, "E_BAD_REQUEST", tc.msg)
	}
	// The event: actor is the token's principal, provenance the headers'.
	recs := h.recorded("w")
	if len(recs) != 1 || recs[0].Ingress != events.IngressHTTP || recs[0].ExpiresAt != "2025-01-01T00:15:05Z" {
		t.Fatalf("events %+v", recs)
	}
	// Writes need hub:write; reads need read.
	h.do(http.MethodPost, "/risk-hub/worlds/w/snapshots", hubReaderToken, "{}", "X-Actor", "a", "X-Stage", "s").errorBody(t, http.StatusForbidden, "E_FORBIDDEN")
	h.do(http.MethodPost, "/risk-hub/worlds/w/snapshots", "", "{}", "X-Actor", "a", "X-Stage", "s").errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
	h.do(http.MethodGet, "/risk-hub/worlds/w/snapshots/latest", hubWriterToken, nil).errorBody(t, http.StatusForbidden, "E_FORBIDDEN")
}

// hubReject is one snapshot the HTTP ingress must refuse.
type hubReject struct {
	name          string
	actor, stage  string
	body          any
	status        int
	code, message string
}

func hubRejections() []hubReject {
	ok := func(name string, body any, status int, code, message string) hubReject {
		return hubReject{name, "gateway", "paper", body, status, code, message}
	}
	inv := func(name string, body any, message string) hubReject {
		return ok(name, body, http.StatusUnprocessableEntity, "E_SNAPSHOT_INVALID", message)
	}
	base := `"as_of":"2025-01-01T00:00:00Z","version":"v1"`
	huge := strings.Repeat("x", 9<<20)
	return []hubReject{
		{"missing actor header", "", "paper", snapshotBody("v1", nil), 400, "E_BAD_REQUEST", "missing actor header"},
		{"missing stage header", "gateway", "", snapshotBody("v1", nil), 400, "E_BAD_REQUEST", "missing stage header"},
		{"missing headers before a bad body", "", "", "{", 400, "E_BAD_REQUEST", "missing actor header"},
		ok("world_id mismatch", snapshotBody("v1", map[string]any{"world_id": "x"}), 400, "E_BAD_REQUEST", "world_id mismatch"),
		inv("not JSON", `{"as_of":`, ""),
		inv("not an object", `[]`, "snapshot must be a JSON object"),
		inv("unknown top-level key", snapshotBody("v1", map[string]any{"extra": 1}), "unknown field extra"),
		inv("NaN weight", `{`+base+`,"weights":{"s1":NaN}}`, "weights must be numeric"),
		inv("string weight", `{`+base+`,"weights":{"s1":"1.0"}}`, "weights must be numeric"),
		inv("weights sum", `{`+base+`,"weights":{"s1":0.5}}`, "weights must sum to ~1.0"),
		inv("fractional TTL", snapshotBody("v1", map[string]any{"ttl_sec": 60.5}), "ttl_sec must be an integer"),
		inv("TTL above max", snapshotBody("v1", map[string]any{"ttl_sec": 86401}), "ttl_sec must be <= 86400"),
		inv("NaN in realized returns", `{`+base+`,"weights":{"s1":1},"realized_returns":{"s1":[0.1,NaN]}}`, "realized_returns[s1] contains non-finite value"),
		inv("Infinity in stress", `{`+base+`,"weights":{"s1":1},"stress":{"crash":{"max_drawdown":Infinity}}}`, "stress contains non-finite value"),
		inv("-Infinity in covariance", `{`+base+`,"weights":{"s1":1},"covariance":{"s1,s1":-Infinity}}`, "covariance[s1,s1] must be a finite number"),
		inv("NaN in constraints", `{`+base+`,"weights":{"s1":1},"constraints":{"x":NaN}}`, "constraints contains non-finite value"),
		inv("NaN in provenance", `{`+base+`,"weights":{"s1":1},"provenance":{"x":NaN}}`, "provenance contains non-finite value"),
		inv("actor mismatch", snapshotBody("v1", map[string]any{"provenance": map[string]any{"actor": "other"}}), "actor mismatch between payload and header"),
		ok("hash mismatch", snapshotBody("v1", map[string]any{"hash": "sha256:" + strings.Repeat("0", 64)}), 422, "E_SNAPSHOT_HASH_MISMATCH", "hash mismatch"),
		ok("ref to a missing blob", snapshotBody("v1", map[string]any{"covariance_ref": "PLACEHOLDER_REF"}), 422, "E_SNAPSHOT_BLOB_NOT_FOUND", ""),
		inv("ref outside the hub", snapshotBody("v1", map[string]any{"stress_ref": "s3://bucket/w/v1/stress.json"}),
			"stress_ref does not name a blob of world w in this hub's blob store: s3://bucket/w/v1/stress.json"),
		ok("body above 8 MiB", `{"x":"`+huge+`"}`, 413, "E_PAYLOAD_TOO_LARGE", ""),
		ok("event above 1 MiB", snapshotBody("v1", map[string]any{"constraints": map[string]any{"blob": strings.Repeat("y", 1<<20)}}), 413, "E_PAYLOAD_TOO_LARGE", ""),
	}
}

func TestHubRejectsAndStoresNothing(t *testing.T) {
	t.Parallel()
	h := startHub(t, withThreshold(2))
	missingRef := h.svc.hub.blobs.Ref(risksnapshot.BlobName("w", "v1", risksnapshot.KindCovariance, "sha256:"+strings.Repeat("a", 64)))
	for _, tc := range hubRejections() {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if m, ok := body.(map[string]any); ok && m["covariance_ref"] == "PLACEHOLDER_REF" {
				m["covariance_ref"] = missingRef
				// Large members that would be offloaded must not leave
				// their blobs behind either.
				m["realized_returns"] = map[string]any{"s1": []float64{0.1, 0.2, 0.3}}
			}
			resp := h.post("w", tc.actor, tc.stage, body)
			resp.hubError(t, tc.status, tc.code, tc.message)
			h.assertNothingStored("w")
		})
	}
	// Wrong media type.
	resp := h.do(http.MethodPost, "/risk-hub/worlds/w/snapshots", hubWriterToken, nil, "X-Actor", "a", "X-Stage", "s", "Content-Type", "text/plain")
	resp.hubError(t, http.StatusUnsupportedMediaType, "E_UNSUPPORTED_MEDIA_TYPE", "")
	h.assertNothingStored("w")
	// Contract failures over HTTP touch no metric (spec §2.2); the three
	// hub-level refusals (missing blob, foreign reference, event too large)
	// count as failed.
	metrics := h.get("/metrics")
	if got := grepLines(metrics.body, `risk_hub_snapshot_failed_total{`); got != `risk_hub_snapshot_failed_total{stage="paper",world_id="w"} 3` {
		t.Fatalf("failed counter: %s", got)
	}
}

func grepLines(body []byte, needle string) string {
	var out []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.Contains(l, needle) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestHubResendAndConflict(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	first := h.post("w", "gateway", "paper", snapshotBody("v1", map[string]any{"ttl_sec": 60})).view(t)
	h.clock.Set(hubT0.Add(time.Hour)) // long after v1 expired
	again := h.post("w", "gateway", "paper", snapshotBody("v1", map[string]any{"ttl_sec": 60}))
	replay := again.view(t)
	if again.header.Get("Idempotent-Replay") != "true" || replay.CreatedAt != first.CreatedAt || replay.Hash != first.Hash {
		t.Fatalf("re-send: %+v (Idempotent-Replay %q), first %+v", replay, again.header.Get("Idempotent-Replay"), first)
	}
	// The same snapshot with its hash given is the same re-send.
	withHash := h.post("w", "gateway", "paper", snapshotBody("v1", map[string]any{"ttl_sec": 60, "hash": first.Hash}))
	if withHash.view(t).CreatedAt != first.CreatedAt {
		t.Fatal("re-send with the hash")
	}
	// Another hash for v1: 409, nothing changes.
	h.post("w", "gateway", "paper", snapshotBody("v1", map[string]any{"ttl_sec": 61})).
		hubError(t, http.StatusConflict, "E_SNAPSHOT_VERSION_CONFLICT", "snapshot version collision for world_id=w version=v1")
	h.post("w", "gateway", "live", snapshotBody("v1", map[string]any{"ttl_sec": 60})).
		hubError(t, http.StatusConflict, "E_SNAPSHOT_VERSION_CONFLICT", "snapshot version collision for world_id=w version=v1")
	if n := len(h.recorded("w")); n != 1 {
		t.Fatalf("%d events after re-sends and conflicts", n)
	}
	// v1 is expired: reads skip it, the version stays taken.
	h.get("/risk-hub/worlds/w/snapshots/latest").hubError(t, http.StatusNotFound, "E_SNAPSHOT_NOT_FOUND", "snapshot not found")
	second := h.post("w", "gateway", "paper", snapshotBody("v2", nil)).view(t)
	if second.CreatedAt != "2025-01-01T01:00:00Z" {
		t.Fatalf("v2 created_at %s", second.CreatedAt)
	}
	metrics := string(h.get("/metrics").body)
	for _, want := range []string{
		`risk_hub_snapshot_processed_total{stage="paper",world_id="w"} 2`,
		`risk_hub_snapshot_dedupe_total{stage="paper",world_id="w"} 2`,
		`risk_hub_snapshot_failed_total{stage="paper",world_id="w"} 1`,
		`risk_hub_snapshot_failed_total{stage="live",world_id="w"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines([]byte(metrics), "risk_hub_snapshot"))
		}
	}
}

func TestHubConcurrentWriters(t *testing.T) {
	t.Parallel()
	h := startHub(t, withThreshold(2))
	const n = 16
	var wg sync.WaitGroup
	statuses := make(chan int, 2*n)
	for i := range n {
		wg.Go(func() { // the same snapshot n times
			statuses <- h.post("w", "gateway", "paper", snapshotBody("same", map[string]any{"realized_returns": []float64{1, 2, 3}})).status
		})
		wg.Go(func() { // n different snapshots of one version
			statuses <- h.post("w", "gateway", "paper", snapshotBody("contested", map[string]any{"ttl_sec": 100 + i, "realized_returns": []float64{1, 2, 3}})).status
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != n+1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("statuses %v, want %d×200 and %d×409", count, n+1, n-1)
	}
	recs := h.recorded("w")
	if len(recs) != 2 {
		t.Fatalf("%d events, want 2", len(recs))
	}
	// Only the recorded snapshots' blobs exist.
	var files []string
	_ = walkFiles(h.svc.cfg.RiskHub.BlobStore.BaseDir, &files)
	if len(files) != 2 {
		t.Fatalf("blob files %v, want one per recorded snapshot", files)
	}
}

func TestHubTTLExpiryWithTheClock(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	h.post("w", "gateway", "paper", snapshotBody("long", map[string]any{"as_of": "2025-01-01T00:00:00Z", "ttl_sec": 600})).view(t)
	h.post("w", "gateway", "paper", snapshotBody("short", map[string]any{"as_of": "2025-01-01T00:01:00Z", "ttl_sec": 60})).view(t)
	latest := func() string {
		resp := h.get("/risk-hub/worlds/w/snapshots/latest")
		if resp.status == http.StatusNotFound {
			return "none"
		}
		return resp.view(t).Version
	}
	// created_at is 00:00:05; "short" expires after 00:01:05.
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{
		{65 * time.Second, "short"},                 // exactly at expiry: still usable
		{65*time.Second + time.Millisecond, "long"}, // strictly after: expired
		{605 * time.Second, "long"},                 // exactly at long's expiry
		{605*time.Second + time.Nanosecond, "none"}, // both expired
		{24 * time.Hour, "none"},
	} {
		h.clock.Set(hubT0.Add(tc.at))
		if got := latest(); got != tc.want {
			t.Errorf("at +%s latest is %s, want %s", tc.at, got, tc.want)
		}
	}
	h.clock.Set(hubT0.Add(100 * time.Second))
	h.get("/risk-hub/worlds/w/snapshots/lookup?version=short").hubError(t, http.StatusNotFound, "E_SNAPSHOT_NOT_FOUND", "snapshot not found")
	var list struct {
		Snapshots []hubView `json:"snapshots"`
	}
	h.get("/risk-hub/worlds/w/snapshots").json(t, &list)
	if len(list.Snapshots) != 1 || list.Snapshots[0].Version != "long" {
		t.Fatalf("list at +100s: %+v", list.Snapshots)
	}
}

func TestHubOffloadAndExpandFile(t *testing.T) {
	t.Parallel()
	testHubOffloadAndExpand(t, startHub(t, withThreshold(3)))
}

func TestHubOffloadAndExpandRedis(t *testing.T) {
	t.Parallel()
	testHubOffloadAndExpand(t, startHub(t, withThreshold(3), withRedisBlobs(t)))
}

func testHubOffloadAndExpand(t *testing.T, h *hubHarness) {
	cov := map[string]any{"s1,s1": 0.04, "s2,s2": 0.09, "s1,s2": 0.01, "s2:s1": 0.01}
	realized := map[string]any{"s1": []float64{0.01, -0.02}, "s2": []float64{0.03, 0.01}}
	stress := map[string]any{"a": map[string]any{"max_drawdown": 0.1}, "b": map[string]any{}, "c": 1, "d": 2}
	body := snapshotBody("big", map[string]any{"covariance": cov, "realized_returns": realized, "stress": stress, "constraints": map[string]any{"max_leverage": 2}})
	v := h.post("w", "gateway", "paper", body).view(t)
	if v.Covariance != nil || v.RealizedReturns != nil || v.Stress != nil ||
		!strings.Contains(v.CovarianceRef, "w/big/covariance-"+strings.TrimPrefix(v.Hash, "sha256:")[:16]+".json") ||
		v.RealizedReturnsRef == "" || v.StressRef == "" {
		t.Fatalf("offloaded answer %+v", v)
	}
	if got := h.blobExists("w", "big", v.Hash); len(got) != 3 {
		t.Fatalf("blobs %v", got)
	}
	plain := h.get("/risk-hub/worlds/w/snapshots/latest").view(t)
	if plain.Covariance != nil || plain.CovarianceRef != v.CovarianceRef {
		t.Fatalf("without expand %+v", plain)
	}
	expanded := h.get("/risk-hub/worlds/w/snapshots/latest?expand=true").view(t)
	if expanded.Covariance["s1,s2"] != 0.01 || len(expanded.Covariance) != 4 ||
		string(expanded.RealizedReturns) != `{"s1":[0.01,-0.02],"s2":[0.03,0.01]}` ||
		string(expanded.Stress) != `{"a":{"max_drawdown":0.1},"b":{},"c":1,"d":2}` {
		t.Fatalf("expanded %+v (realized %s, stress %s)", expanded, expanded.RealizedReturns, expanded.Stress)
	}
	// The recorded hash is the hash of what was sent: resolving the blobs
	// of the stored event gives it back.
	rec := h.recorded("w")[0]
	if !rec.Offloaded.Covariance || !rec.Offloaded.RealizedReturns || !rec.Offloaded.Stress || rec.Covariance != nil {
		t.Fatalf("stored %+v", rec)
	}
	var r risksnapshot.Resolved
	if err := json.Unmarshal(h.hubBlob(rec.CovarianceRef), &r.Covariance); err != nil {
		t.Fatal(err)
	}
	r.RealizedReturns = new(events.RealizedReturns)
	if err := json.Unmarshal(h.hubBlob(rec.RealizedReturnsRef), r.RealizedReturns); err != nil {
		t.Fatal(err)
	}
	r.Stress = h.hubBlob(rec.StressRef)
	back, err := risksnapshot.FromRecorded(rec, r)
	if err != nil {
		t.Fatal(err)
	}
	if hash, _ := back.ComputeHash(); hash != rec.Hash {
		t.Fatalf("hash after offload %s, recorded %s", hash, rec.Hash)
	}
	// A producer may reference the world's blobs; a re-send appends nothing.
	ref := h.post("w", "gateway", "paper", snapshotBody("by-ref", map[string]any{"covariance_ref": v.CovarianceRef})).view(t)
	if ref.CovarianceRef != v.CovarianceRef {
		t.Fatalf("by-ref %+v", ref)
	}
	h.post("w", "gateway", "paper", body).view(t)
	// Another world may not reference them (D9: blobs are world-scoped).
	h.post("x", "gateway", "paper", snapshotBody("v1", map[string]any{"covariance_ref": v.CovarianceRef})).
		hubError(t, http.StatusUnprocessableEntity, "E_SNAPSHOT_INVALID", "covariance_ref does not name a blob of world x in this hub's blob store: "+v.CovarianceRef)
	// A conflicting snapshot that would offload leaves no blob behind.
	conflicting := snapshotBody("big", map[string]any{"covariance": cov, "realized_returns": realized, "ttl_sec": 5})
	h.post("w", "gateway", "paper", conflicting).hubError(t, http.StatusConflict, "E_SNAPSHOT_VERSION_CONFLICT", "")
	if n := len(h.recorded("w")); n != 2 {
		t.Fatalf("%d events", n)
	}
}

// hubBlob reads the blob ref names.
func (h *hubHarness) hubBlob(ref string) []byte {
	h.t.Helper()
	name, ok := h.svc.hub.blobs.Name(ref)
	if !ok {
		h.t.Fatalf("ref %q is not the hub's", ref)
	}
	b, err := h.svc.hub.blobs.Get(h.t.Context(), name)
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

func TestHubSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := &testClock{now: hubT0.Add(5 * time.Second)}
	h := startHubIn(t, dir, clock)
	for i := range 3 {
		h.post("w", "gateway", "paper", snapshotBody(fmt.Sprintf("v%d", i), nil)).view(t)
	}
	h.stop()
	h = startHubIn(t, dir, clock)
	again := h.post("w", "gateway", "paper", snapshotBody("v1", nil))
	if again.header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("re-send after restart: %d %s", again.status, again.body)
	}
	h.post("w", "gateway", "paper", snapshotBody("v2", map[string]any{"ttl_sec": 1})).
		hubError(t, http.StatusConflict, "E_SNAPSHOT_VERSION_CONFLICT", "snapshot version collision for world_id=w version=v2")
	if got := h.get("/risk-hub/worlds/w/snapshots/lookup?version=v0").view(t); got.Version != "v0" {
		t.Fatalf("after restart %+v", got)
	}
	if n := len(h.recorded("w")); n != 3 {
		t.Fatalf("%d events after restart", n)
	}
}

func TestHubFreshnessProbe(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	h.post("w", "gateway", "paper", snapshotBody("v1", map[string]any{"as_of": "2024-12-31T23:50:00Z", "ttl_sec": 60})).view(t)
	h.clock.Set(hubT0.Add(time.Hour)) // expired: the lag still grows (D19)
	if err := h.svc.hub.probe.probe(t.Context()); err != nil {
		t.Fatal(err)
	}
	metrics := string(h.get("/metrics").body)
	if want := `risk_hub_snapshot_lag_seconds{world_id="w"} 4200`; !strings.Contains(metrics, want) {
		t.Fatalf("metrics lack %s:\n%s", want, grepLines([]byte(metrics), "lag_seconds"))
	}
}

func TestHubResolvesForWorkers(t *testing.T) {
	t.Parallel()
	h := startHub(t, withThreshold(1))
	v := h.post("w", "gateway", "paper", snapshotBody("v1", map[string]any{"covariance": map[string]any{"s1,s1": 0.04, "s2,s2": 0.09}})).view(t)
	b, err := h.svc.hub.hub.Resolve(t.Context(), v.CovarianceRef)
	if err != nil || string(b) != `{"s1,s1":0.04,"s2,s2":0.09}` {
		t.Fatalf("Resolve = %s, %v", b, err)
	}
	if _, err := h.svc.hub.hub.Resolve(t.Context(), "s3://elsewhere/x.json"); err == nil {
		t.Fatal("a foreign reference resolved")
	}
}
