package examples_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/examples"
	"github.com/worldval/worldval/processor"
	"github.com/worldval/worldval/processor/servicetest"
)

// exampleCard is what the tests read of a model card.
type exampleCard struct {
	StrategyID     string   `json:"strategy_id"`
	Version        string   `json:"model_card_version"`
	Objective      string   `json:"objective"`
	Owner          string   `json:"owner"`
	IntendedUse    string   `json:"intended_use"`
	Universe       string   `json:"universe"`
	Features       []string `json:"features"`
	DataOverview   []string `json:"data_overview"`
	KeyAssumptions []string `json:"key_assumptions"`
	KeyLimitations []string `json:"key_limitations"`
}

// TestModelCardsCoverTheStrategies checks that every example strategy has a
// card that names it, and that each card fills the report's sections: the
// objective, universe, owner and intended use, features, data, assumptions
// and limitations.
func TestModelCardsCoverTheStrategies(t *testing.T) {
	ids := examples.StrategyIDs()
	if want := []string{"trend-robust", "grid-overfit", "news-short", "vol-seller"}; !slices.Equal(ids, want) {
		t.Fatalf("strategy ids %v, want %v", ids, want)
	}
	for _, id := range ids {
		data, err := examples.ModelCard(id)
		if err != nil {
			t.Fatal(err)
		}
		var c exampleCard
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if c.StrategyID != id || c.Version == "" || c.Objective == "" || c.Owner == "" || c.IntendedUse == "" || c.Universe == "" ||
			len(c.Features) == 0 || len(c.DataOverview) == 0 || len(c.KeyAssumptions) == 0 || len(c.KeyLimitations) == 0 {
			t.Errorf("%s: incomplete card %+v", id, c)
		}
	}
	if _, err := examples.ModelCard("no-such-strategy"); err == nil {
		t.Error("a card of an unknown strategy")
	}
}

// TestModelCardsAreAccepted publishes every example card to the real service
// in-process, as the demo does: each is accepted as its own version (an
// invalid card would be 422 E_MODEL_CARD_INVALID) and reads back unchanged.
func TestModelCardsAreAccepted(t *testing.T) {
	c := startService(t)
	ctx := t.Context()
	for _, id := range examples.StrategyIDs() {
		data, err := examples.ModelCard(id)
		if err != nil {
			t.Fatal(err)
		}
		var want exampleCard
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		pub, err := c.PublishModelCard(ctx, id, data)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if !pub.Created || pub.Version != want.Version || !pub.Latest {
			t.Errorf("%s: published %+v", id, pub)
		}
		var got exampleCard
		if err := json.Unmarshal(pub.Card, &got); err != nil || got.Objective != want.Objective || !slices.Equal(got.KeyLimitations, want.KeyLimitations) {
			t.Errorf("%s: the service keeps %s (%v)", id, pub.Card, err)
		}
	}
}

// startService runs the real service in-process on a temporary data
// directory and a free loopback port (the embedded profile: no tokens),
// stopped when the test ends, and returns a client of it once it is ready.
func startService(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(servicetest.Start(t, processor.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
