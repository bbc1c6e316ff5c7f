package client_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/client"
)

// modelCard returns a model card of strategy at version with objective.
func modelCard(t *testing.T, strategy, version, objective string) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(map[string]any{
		"strategy_id": strategy, "model_card_version": version, "objective": objective,
		"data_overview": []string{"daily closes, 2015–2024"}, "key_assumptions": []string{"momentum persists"},
		"key_limitations": []string{"crashes after sharp rebounds"}, "owner": "quant-a",
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestModelCards publishes, republishes, lists and reads a strategy's model
// cards (a strategy id with a slash, to check the escaping), and checks that
// a run submitted afterwards records the latest card and that its report
// shows it.
func TestModelCards(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	ctx := t.Context()
	runner := newClient(t, base, runnerToken)
	const strategy = "mom/1"

	if l, err := runner.ModelCards(ctx, strategy); err != nil || l.LatestVersion != "" || len(l.ModelCards) != 0 {
		t.Fatalf("cards of a strategy without any: %+v, %v", l, err)
	}
	first, err := runner.PublishModelCard(ctx, strategy, modelCard(t, strategy, "1.0", "capture 12-1 momentum"))
	if err != nil || !first.Created || first.StrategyID != strategy || first.Version != "1.0" || !first.Latest ||
		first.PublishedBy != "runner" || first.PublishedAt.IsZero() || !strings.HasPrefix(first.Checksum, "sha256:") {
		t.Fatalf("first publication %+v, %v", first, err)
	}
	again, err := runner.PublishModelCard(ctx, strategy, modelCard(t, strategy, "1.0", "capture 12-1 momentum"))
	if err != nil || again.Created || again.Checksum != first.Checksum {
		t.Fatalf("the same card again: %+v, %v", again, err)
	}
	if _, err := runner.PublishModelCard(ctx, strategy, modelCard(t, strategy, "2.0", "capture 6-1 momentum"), client.IdempotencyKey("card-2.0")); err != nil {
		t.Fatal(err)
	}

	l, err := newClient(t, base, readerToken).ModelCards(ctx, strategy)
	if err != nil || l.StrategyID != strategy || l.LatestVersion != "2.0" || len(l.ModelCards) != 2 ||
		l.ModelCards[0].Version != "1.0" || l.ModelCards[0].Latest || !l.ModelCards[1].Latest {
		t.Fatalf("list %+v, %v", l, err)
	}
	one, err := runner.ModelCard(ctx, strategy, "1.0")
	var doc struct {
		Objective string `json:"objective"`
		Owner     string `json:"owner"`
	}
	if err != nil || one.Latest || json.Unmarshal(one.Card, &doc) != nil || doc.Objective != "capture 12-1 momentum" || doc.Owner != "quant-a" ||
		one.Links["self"] != "/strategies/mom%2F1/model-cards/1.0" {
		t.Fatalf("version 1.0: %+v (%s), %v", one, one.Card, err)
	}

	publish(t, base, "w1")
	sub, err := runner.Submit(ctx, "w1", client.SubmitRequest{StrategyID: strategy, RunID: "r1", Returns: goodReturns})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runner.WaitForVerdict(ctx, sub.Ref(), client.Timeout(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	run, err := runner.Run(ctx, sub.Ref())
	if err != nil || run.ModelCardVersion == nil || *run.ModelCardVersion != "2.0" {
		t.Fatalf("the run records model card %v, want 2.0 (%v)", run.ModelCardVersion, err)
	}
	for _, f := range []client.ReportFormat{client.ReportHTML, client.ReportMarkdown} {
		rep, err := runner.Report(ctx, sub.Ref(), f)
		if err != nil || !strings.Contains(string(rep), "capture 6-1 momentum") || !strings.Contains(string(rep), "PASS") {
			t.Fatalf("%s report: %v\n%.2000s", f, err, rep)
		}
	}
}

// TestModelCardRefusals checks the typed errors of model card calls: an
// incomplete card names its missing fields, a changed card under a published
// version conflicts, an unknown version is not found, and the read scope
// cannot publish.
func TestModelCardRefusals(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	ctx := t.Context()
	runner := newClient(t, base, runnerToken)
	if _, err := runner.PublishModelCard(ctx, "s", modelCard(t, "s", "1.0", "one objective")); err != nil {
		t.Fatal(err)
	}

	_, err := runner.PublishModelCard(ctx, "s", json.RawMessage(`{"strategy_id": "s", "version": "2", "objective": "x", "key_assumptions": "one"}`))
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Code != client.CodeModelCardInvalid {
		t.Fatalf("incomplete card: %v", err)
	}
	var paths []string
	for _, p := range ae.Problems() {
		paths = append(paths, p.Path)
	}
	if want := []string{"data_overview", "key_limitations", "key_assumptions"}; !slices.Equal(paths, want) {
		t.Errorf("problems at %v, want %v", paths, want)
	}
	if _, err := runner.PublishModelCard(ctx, "s", modelCard(t, "s", "1.0", "another objective")); !client.HasCode(err, client.CodeModelCardVersionConflict) {
		t.Errorf("changed card under a published version: %v", err)
	}
	if _, err := runner.PublishModelCard(ctx, "s", modelCard(t, "other", "1.1", "x")); !client.HasCode(err, client.CodeModelCardInvalid) {
		t.Errorf("another strategy's card: %v", err)
	}
	if _, err := runner.ModelCard(ctx, "s", "9.9"); !client.HasCode(err, client.CodeModelCardNotFound) {
		t.Errorf("unknown version: %v", err)
	}
	if _, err := newClient(t, base, readerToken).PublishModelCard(ctx, "s", modelCard(t, "s", "3.0", "x")); !client.HasCode(err, client.CodeForbidden) {
		t.Errorf("reader publishes: %v", err)
	}
	if _, err := runner.Report(ctx, client.RunRef{WorldID: "w1", StrategyID: "s", RunID: "nope"}, client.ReportHTML); !client.HasCode(err, client.CodeRunNotFound) {
		t.Errorf("report of an unknown run: %v", err)
	}
}
