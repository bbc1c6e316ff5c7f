package examples

import (
	"fmt"
	"os"
	"path/filepath"
)

// RunsDir is the directory, below the examples directory, of the run files.
const RunsDir = "runs"

// Write writes the example policy (policy.yml), one run file per strategy
// run (runs/NAME.json) and one model card per strategy
// (model-cards/STRATEGY_ID.json) into dir, creating it as needed, and
// returns the paths written. Existing files of those names are replaced.
func Write(dir string) ([]string, error) {
	for _, sub := range []string{RunsDir, ModelCardsDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("write examples: %w", err)
		}
	}
	files := []string{filepath.Join(dir, "policy.yml")}
	if err := os.WriteFile(files[0], Policy(), 0o644); err != nil {
		return nil, fmt.Errorf("write examples: %w", err)
	}
	for _, s := range Strategies() {
		data, err := s.RunFile()
		if err != nil {
			return files, err
		}
		name := filepath.Join(dir, RunsDir, s.Name+".json")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return files, fmt.Errorf("write examples: %w", err)
		}
		files = append(files, name)
	}
	for _, id := range StrategyIDs() {
		card, err := ModelCard(id)
		if err != nil {
			return files, fmt.Errorf("write examples: %w", err)
		}
		name := filepath.Join(dir, ModelCardsDir, id+".json")
		if err := os.WriteFile(name, card, 0o644); err != nil {
			return files, fmt.Errorf("write examples: %w", err)
		}
		files = append(files, name)
	}
	return files, nil
}
