package processor

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
)

// Config is the validated configuration of one worldval process. The zero
// value, after [Config.SetDefaults], is the embedded profile: sqlite under
// ./data and HTTP on 127.0.0.1:8080.
type Config struct {
	// DataDir holds the embedded sqlite event store (events.db).
	DataDir string
	// HTTPAddr is the host:port the HTTP API listens on.
	HTTPAddr string
}

// SetDefaults fills every empty field with the embedded profile's value.
func (c *Config) SetDefaults() {
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8080"
	}
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("data_dir: empty")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("http: %q is not host:port: %w", c.HTTPAddr, err)
	}
	return nil
}

// EventStorePath is the sqlite file of the embedded event store in dir.
func EventStorePath(dir string) string {
	return filepath.Join(dir, "events.db")
}
