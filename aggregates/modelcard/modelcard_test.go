package modelcard_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/modelcard"
	"github.com/worldval/worldval/events"
)

const card1 = `{"strategy_id": "mom-1", "model_card_version": "1.0", "objective": "trend following",
	"data_overview": ["daily closes"], "key_assumptions": ["trends persist"], "key_limitations": [], "owner": "quant-a"}`

func publish(key, version, card string) modelcard.Publish {
	return modelcard.Publish{
		Meta:       events.Meta{IdempotencyKey: key, OccurredAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Actor: "quant"},
		StrategyID: "mom-1", Version: version, Card: []byte(card), PublishedBy: "quant",
	}
}

// fold applies the decisions in order, each against the state the previous
// ones left, and returns the final state.
func fold(t *testing.T, reg *events.Registry, cmds ...modelcard.Publish) *modelcard.Cards {
	t.Helper()
	var all []events.Event
	state := &modelcard.Cards{}
	for i, cmd := range cmds {
		evs, err := state.Publish(reg, cmd)
		if err != nil {
			t.Fatalf("publication %d: %v", i, err)
		}
		all = append(all, evs...)
		recs := make([]events.Record, len(all))
		for j, ev := range all {
			recs[j] = events.Record{Event: ev, Stream: "model-card/mom-1", StreamVersion: uint64(j + 1)}
		}
		if state, err = aggregates.Fold[modelcard.Cards](reg, recs); err != nil {
			t.Fatal(err)
		}
	}
	return state
}

func TestPublishVersions(t *testing.T) {
	reg := events.Catalogue()
	card2 := strings.Replace(card1, `"1.0"`, `"2.0"`, 1)
	state := fold(t, reg, publish("k1", "", card1), publish("k2", "", card2))
	latest, ok := state.Latest()
	if !ok || latest.Version != "2.0" || len(state.All()) != 2 || state.StrategyID() != "mom-1" || !latest.PublishedAt.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("latest %+v, %d cards", latest, len(state.All()))
	}
	first, ok := state.Card("1.0")
	if !ok || !strings.HasPrefix(first.Checksum, "sha256:") || !strings.Contains(string(first.Card), `"owner":"quant-a"`) {
		t.Fatalf("card 1.0 %+v", first)
	}

	cases := []struct {
		name     string
		cmd      modelcard.Publish
		wantCode errcode.Code
		wantN    int
	}{
		{"same version, same content laid out differently", publish("k3", "", strings.ReplaceAll(card1, ", ", ",")), "", 0},
		{"retried key", publish("k1", "", card1), "", 0},
		{"key reused for another version", publish("k1", "", strings.Replace(card1, `"1.0"`, `"9.0"`, 1)), errcode.IdempotencyKeyReused, 0},
		{"key reused for another content", publish("k1", "", strings.Replace(card1, "trend following", "mean reversion", 1)), errcode.IdempotencyKeyReused, 0},
		{"same version, other content", publish("k3", "", strings.Replace(card1, "trend following", "mean reversion", 1)), errcode.ModelCardVersionConflict, 0},
		{"version from the path", publish("k3", "3.0", strings.Replace(card1, `"model_card_version": "1.0", `, "", 1)), "", 1},
		{"path and card disagree", publish("k3", "3.0", card1), errcode.ModelCardInvalid, 0},
		{"alias version", publish("k3", "", strings.Replace(card1, `"model_card_version": "1.0"`, `"version": 4`, 1)), "", 1},
		{"another strategy", publish("k3", "", strings.Replace(card1, `"mom-1"`, `"other"`, 1)), errcode.ModelCardInvalid, 0},
		{"not an object", publish("k3", "", `[1]`), errcode.ModelCardInvalid, 0},
		{"no key", publish("", "", card1), errcode.Validation, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := state.Publish(reg, tc.cmd)
			if got := errcode.CodeOf(err); got != tc.wantCode {
				t.Fatalf("error %v (code %q), want %q", err, got, tc.wantCode)
			}
			if len(evs) != tc.wantN {
				t.Fatalf("%d events, want %d", len(evs), tc.wantN)
			}
		})
	}
}

func TestMissingFieldsAreNamed(t *testing.T) {
	reg := events.Catalogue()
	var empty modelcard.Cards
	_, err := empty.Publish(reg, publish("k", "", `{"strategy_id": "mom-1", "objective": " ", "key_assumptions": "one", "key_limitations": ["a", 2]}`))
	e, ok := errcode.From(err)
	if !ok || e.Code != errcode.ModelCardInvalid || e.HTTPStatus() != 422 {
		t.Fatalf("error %v", err)
	}
	if want := []string{"model_card_version", "data_overview"}; !reflect.DeepEqual(e.Details["missing"], want) {
		t.Fatalf("missing %v, want %v", e.Details["missing"], want)
	}
	if !strings.Contains(e.Message, "missing required fields: model_card_version, data_overview") {
		t.Fatalf("message %q", e.Message)
	}
	var paths []string
	for _, p := range e.Details["problems"].([]modelcard.Problem) {
		paths = append(paths, p.Path)
	}
	if want := []string{"model_card_version", "data_overview", "objective", "key_assumptions", "key_limitations[1]"}; !reflect.DeepEqual(paths, want) {
		t.Fatalf("problem paths %v, want %v", paths, want)
	}

	_, missing, _ := modelcard.Check([]byte(`{}`), "mom-1", "")
	if !reflect.DeepEqual(missing, modelcard.RequiredFields()) {
		t.Fatalf("empty card misses %v, want %v", missing, modelcard.RequiredFields())
	}
}
