package client_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/processor"
	"github.com/worldval/worldval/processor/servicetest"
)

// hubToken is the token of the test hub's producer (hub:write and read).
const hubToken = "hub-producer-0123456789"

// specExampleHash is the hash risk-hub spec §2.11 prints for its example:
// world w, as_of 2025-01-01T00:00:00Z, version v1, weights {"s1": 1.0},
// actor gateway, stage paper, the default TTL.
const specExampleHash = "sha256:2db8b354ba3fc44c5c374acc82152030ca9cd6855a747480e2b997f57d02108a"

// startHubServer runs the real service in-process with one principal that
// may publish and read risk snapshots, stopped when the test ends.
func startHubServer(t *testing.T) string {
	t.Helper()
	cfg := processor.Config{
		DataDir: t.TempDir(),
		HTTP:    processor.HTTPConfig{Addr: "127.0.0.1:0"},
		Auth: processor.AuthConfig{Tokens: []processor.TokenConfig{
			{Principal: "risk-engine", Secret: hubToken, Scopes: []processor.Scope{processor.ScopeRead, processor.ScopeHubWrite}},
		}},
	}
	return servicetest.Start(t, cfg)
}

func TestPublishSnapshotAndListWorlds(t *testing.T) {
	t.Parallel()
	base := startHubServer(t)
	ctx := t.Context()
	c := newClient(t, base, hubToken)

	body := []byte(`{"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": {"s1": 1.0}}`)
	first, err := c.PublishSnapshot(ctx, "w", body, "gateway", "paper")
	if err != nil {
		t.Fatal(err)
	}
	if first.Replay || first.Hash != specExampleHash || first.WorldID != "w" || first.Version != "v1" || first.TTLSec != 900 ||
		first.Provenance["actor"] != "gateway" || first.Provenance["stage"] != "paper" || first.CreatedAt.IsZero() {
		t.Fatalf("first publication %+v", first)
	}

	// The same snapshot again, with the hash it was recorded under: a
	// re-send answers the stored snapshot.
	again, err := c.PublishSnapshot(ctx, "w", []byte(`{"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": {"s1": 1.0}, "hash": "`+specExampleHash+`"}`), "gateway", "paper")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replay || again.Hash != first.Hash || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("re-send %+v, first %+v", again, first)
	}

	// Another content under the same version is a conflict; a wrong hash
	// is refused with the hub's own hash in the details.
	_, err = c.PublishSnapshot(ctx, "w", []byte(`{"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": {"s1": 0.5, "s2": 0.5}}`), "gateway", "paper")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict || ae.Code != client.CodeSnapshotVersionConflict {
		t.Fatalf("conflict: %v", err)
	}
	_, err = c.PublishSnapshot(ctx, "w", []byte(`{"as_of": "2025-01-01T00:00:00Z", "version": "v2", "weights": {"s1": 1.0}, "hash": "`+specExampleHash+`"}`), "gateway", "paper")
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Code != client.CodeSnapshotHashMismatch {
		t.Fatalf("tampered hash: %v", err)
	}
	var computed string
	if err := json.Unmarshal(ae.Details["computed"], &computed); err != nil || computed == "" || computed == specExampleHash {
		t.Fatalf("details %s", ae.Details)
	}
	if _, err := c.PublishSnapshot(ctx, "w", body, "gateway", ""); !client.HasCode(err, client.CodeBadRequest) {
		t.Fatalf("without a stage: %v", err)
	}

	worlds, err := c.HubWorlds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(worlds.Worlds) != 1 || worlds.Now.IsZero() {
		t.Fatalf("worlds %+v", worlds)
	}
	w := worlds.Worlds[0]
	if w.WorldID != "w" || w.Version != "v1" || w.AsOf != "2025-01-01T00:00:00Z" || w.Stage != "paper" || w.TTLSec != 900 ||
		!w.ExpiresAt.Equal(first.CreatedAt.Add(900*time.Second)) || w.Expired || w.LatestVersion != "v1" ||
		(w.Lag()-worlds.Now.Sub(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))).Abs() > time.Millisecond {
		t.Fatalf("world %+v (now %s)", w, worlds.Now)
	}
}

// TestPublishSnapshotRetriesAndSendsHeaders checks the publication's own
// request: the actor and stage headers, a retry after 503, and a replay read
// from Idempotent-Replay.
func TestPublishSnapshotRetriesAndSendsHeaders(t *testing.T) {
	t.Parallel()
	c, n := fakeServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.EscapedPath() != "/risk-hub/worlds/a%2Fb/snapshots" ||
			r.Header.Get("X-Actor") != "risk-engine" || r.Header.Get("X-Stage") != "live" ||
			r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s %v", r.Method, r.URL.EscapedPath(), r.Header)
		}
		if n == 1 {
			unavailable(w)
			return
		}
		w.Header().Set("Idempotent-Replay", "true")
		_, _ = w.Write([]byte(`{"world_id": "a/b", "version": "v1", "hash": "sha256:00", "created_at": "2025-01-01T00:00:05Z", "provenance": {"actor": "risk-engine", "stage": "live"}}`))
	})
	got, err := c.PublishSnapshot(t.Context(), "a/b", []byte(`{}`), "risk-engine", "live")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Replay || got.Version != "v1" || n.Load() != 2 {
		t.Fatalf("answer %+v after %d requests", got, n.Load())
	}
}

// TestHubCodesAreTheServicesCodes keeps the hub's code constants equal to
// codes of the service's registry.
func TestHubCodesAreTheServicesCodes(t *testing.T) {
	for _, c := range []string{
		client.CodeSnapshotInvalid, client.CodeSnapshotHashMismatch, client.CodeSnapshotVersionConflict,
		client.CodeSnapshotExpired, client.CodeSnapshotNotFound, client.CodeSnapshotBlobNotFound,
	} {
		if _, ok := errcode.Lookup(errcode.Code(c)); !ok {
			t.Errorf("%s is not in the service's error-code registry", c)
		}
	}
}
