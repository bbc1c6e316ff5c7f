package evaluationrun_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore/sqlite"
)

// TestLifecycleThroughTheRepository drives one run through the real store:
// submit, a retried submission, completion, a retried completion, and a
// conflicting re-submission.
func TestLifecycleThroughTheRepository(t *testing.T) {
	ctx := context.Background()
	reg := events.Catalogue()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"), sqlite.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	repo, err := aggregates.NewRepository(store, reg)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := events.RunStream("w1", "s1", "run-1")
	if err != nil {
		t.Fatal(err)
	}
	submit := func(key string, req events.EvaluationRunSubmitted) (uint64, bool, error) {
		res, err := aggregates.Update(ctx, repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
			return r.Submit(reg, submitCmd(key, req))
		})
		return res.StreamVersion, res.Duplicate, err
	}
	complete := func(key string) (uint64, bool, error) {
		res, err := aggregates.Update(ctx, repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
			return r.Complete(reg, completeCmd(key, "data_currency", "sample", "performance", "risk_constraint", "robustness"))
		})
		return res.StreamVersion, res.Duplicate, err
	}

	if v, dup, err := submit("sub-1", request()); err != nil || v != 1 || dup {
		t.Fatalf("submit = %d %v %v", v, dup, err)
	}
	if v, dup, err := submit("sub-1", request()); err != nil || v != 1 || !dup {
		t.Fatalf("retried submit = %d %v %v", v, dup, err)
	}
	if _, _, err := complete("done-1"); err != nil {
		t.Fatal(err)
	}
	if v, dup, err := complete("done-1"); err != nil || v != 8 || !dup {
		t.Fatalf("retried completion = %d %v %v", v, dup, err)
	}
	other := request()
	other.Stage = "live"
	if _, _, err := submit("sub-2", other); errcode.CodeOf(err) != errcode.RunAlreadyEvaluated {
		t.Fatalf("conflicting submit = %v", err)
	}
	if _, _, err := complete("done-2"); errcode.CodeOf(err) != errcode.RunAlreadyEvaluated {
		t.Fatalf("second completion = %v", err)
	}

	snap, err := aggregates.Load[evaluationrun.Run](ctx, repo, stream)
	if err != nil {
		t.Fatal(err)
	}
	if snap.State.Status != evaluationrun.StatusEvaluated || len(snap.State.Rules) != 5 || snap.Version != 8 {
		t.Fatalf("run %+v at version %d", snap.State, snap.Version)
	}
	recs, err := store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].ID != events.IDFromKey("sub-1") {
		t.Fatalf("submission id %s is not derived from the idempotency key", recs[0].ID)
	}
}
