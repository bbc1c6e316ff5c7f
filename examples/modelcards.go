package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
)

// ModelCardsDir is the directory, below the examples directory, of the
// model cards: one per strategy, named STRATEGY_ID.json.
const ModelCardsDir = "model-cards"

//go:embed model-cards/*.json
var modelCards embed.FS

// ModelCard returns the model card of the example strategy strategyID
// (model-cards/STRATEGY_ID.json): a JSON object with the fields of
// validation-core §12.2 (strategy_id, model_card_version, objective,
// data_overview, key_assumptions, key_limitations) and the extras the
// validation report shows (owner, scope, universe, intended use, model type,
// features). Every strategy of [Strategies] has one. The caller may keep and
// modify the slice; it is a copy.
func ModelCard(strategyID string) ([]byte, error) {
	data, err := fs.ReadFile(modelCards, path.Join(ModelCardsDir, strategyID+".json"))
	if err != nil {
		return nil, fmt.Errorf("model card of %s: %w", strategyID, err)
	}
	return data, nil
}

// StrategyIDs returns the ids of the example strategies, each once, in the
// order of their first run in [Strategies]: the order the demo publishes
// their model cards in.
func StrategyIDs() []string {
	var ids []string
	seen := map[string]bool{}
	for _, s := range Strategies() {
		if !seen[s.StrategyID] {
			seen[s.StrategyID] = true
			ids = append(ids, s.StrategyID)
		}
	}
	return ids
}
