package badstrategies

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write renders every case into dir as NAME.json, replacing existing files.
// It does not touch other files (the policy, the README).
func Write(dir string) error {
	for _, c := range Cases() {
		data, err := c.RunFile()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, c.Name+".json"), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", c.Name, err)
		}
	}
	return nil
}
