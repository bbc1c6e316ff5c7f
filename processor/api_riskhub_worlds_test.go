package processor

import (
	"net/http"
	"testing"
	"time"
)

// hubWorldsAnswer is the answer of GET /risk-hub/worlds as a reader sees it.
type hubWorldsAnswer struct {
	Now    string `json:"now"`
	Worlds []struct {
		WorldID       string  `json:"world_id"`
		Version       string  `json:"version"`
		AsOf          string  `json:"as_of"`
		CreatedAt     string  `json:"created_at"`
		Stage         string  `json:"stage"`
		TTLSec        int64   `json:"ttl_sec"`
		ExpiresAt     string  `json:"expires_at"`
		Expired       bool    `json:"expired"`
		LagSeconds    float64 `json:"lag_seconds"`
		LatestVersion *string `json:"latest_version"`
	} `json:"worlds"`
}

func TestHubWorldsListsFreshness(t *testing.T) {
	t.Parallel()
	h := startHub(t)
	var got hubWorldsAnswer
	h.get("/risk-hub/worlds").json(t, &got)
	if got.Now != "2025-01-01T00:00:05Z" || got.Worlds == nil || len(got.Worlds) != 0 {
		t.Fatalf("empty hub: %+v", got)
	}

	// w1: two snapshots, the newer as_of is the head; w0: a short TTL.
	h.post("w1", "risk-engine", "paper", snapshotBody("v1", nil)).view(t)
	h.post("w1", "risk-engine", "live", snapshotBody("v2", map[string]any{"as_of": "2025-01-01T00:00:03Z"})).view(t)
	h.post("w0", "gateway", "paper", snapshotBody("a", map[string]any{"ttl_sec": 10})).view(t)
	h.clock.Set(hubT0.Add(65 * time.Second))

	got = hubWorldsAnswer{}
	h.get("/risk-hub/worlds").json(t, &got)
	if got.Now != "2025-01-01T00:01:05Z" || len(got.Worlds) != 2 {
		t.Fatalf("worlds %+v", got)
	}
	w0, w1 := got.Worlds[0], got.Worlds[1]
	if w0.WorldID != "w0" || w0.Version != "a" || w0.TTLSec != 10 || w0.ExpiresAt != "2025-01-01T00:00:15Z" ||
		!w0.Expired || w0.LatestVersion != nil || w0.LagSeconds != 65 || w0.Stage != "paper" {
		t.Fatalf("w0 %+v", w0)
	}
	if w1.WorldID != "w1" || w1.Version != "v2" || w1.AsOf != "2025-01-01T00:00:03Z" || w1.CreatedAt != "2025-01-01T00:00:05Z" ||
		w1.Stage != "live" || w1.TTLSec != 900 || w1.ExpiresAt != "2025-01-01T00:15:05Z" || w1.Expired ||
		w1.LatestVersion == nil || *w1.LatestVersion != "v2" || w1.LagSeconds != 62 {
		t.Fatalf("w1 %+v", w1)
	}

	// Past every TTL the worlds stay listed, expired, with a growing lag.
	h.clock.Set(hubT0.Add(time.Hour))
	var later hubWorldsAnswer
	h.get("/risk-hub/worlds").json(t, &later)
	if len(later.Worlds) != 2 || !later.Worlds[1].Expired || later.Worlds[1].LatestVersion != nil || later.Worlds[1].LagSeconds != 3597 {
		t.Fatalf("an hour later: %+v", later)
	}

	// A read route: the writer's token is not enough, no token is refused.
	h.do(http.MethodGet, "/risk-hub/worlds", hubWriterToken, nil).errorBody(t, http.StatusForbidden, "E_FORBIDDEN")
	h.do(http.MethodGet, "/risk-hub/worlds", "", nil).errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
}
