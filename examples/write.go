package examples

import (
	"fmt"
	"os"
	"path/filepath"
)

// RunsDir is the directory, below the examples directory, of the run files.
const RunsDir = "runs"

// Write writes the example policy (policy.yml) and one run file per
// strategy (runs/NAME.json) into dir, creating it as needed, and returns the
// paths written. Existing files of those names are replaced.
func Write(dir string) ([]string, error) {
	if err := os.MkdirAll(filepath.Join(dir, RunsDir), 0o755); err != nil {
		return nil, fmt.Errorf("write examples: %w", err)
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
	return files, nil
}
