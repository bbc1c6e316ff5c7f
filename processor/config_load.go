package processor

import (
	"fmt"
	"io"
	"os"
)

// maxConfigSize bounds the configuration file; a real one is a few
// kilobytes.
const maxConfigSize = 1 << 20

// LoadConfig returns the validated configuration built from, in increasing
// order of precedence: the defaults, the YAML file at path (none when path is
// ""), the WORLDVAL_* environment variables read through getenv (none when
// getenv is nil; an empty value counts as unset), and override, which the
// caller uses to apply command-line flags (none when nil).
//
// Problems in the file (unknown keys, values of the wrong type), in the
// environment and in validation are each reported together as a
// [*ConfigError] naming every key's full path, and for the file its line.
func LoadConfig(path string, getenv func(string) string, override func(*Config)) (Config, error) {
	var cfg Config
	if path != "" {
		data, err := readConfigFile(path)
		if err != nil {
			return Config{}, err
		}
		if err := decodeConfig(path, data, &cfg); err != nil {
			return Config{}, err
		}
	}
	if getenv != nil {
		if err := applyEnv(&cfg, getenv); err != nil {
			return Config{}, err
		}
	}
	if override != nil {
		override(&cfg)
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// readConfigFile reads the configuration file, refusing one larger than
// [maxConfigSize].
func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read configuration %s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("read configuration %s: larger than %d bytes", path, maxConfigSize)
	}
	return data, nil
}

// decodeConfig decodes the YAML configuration data, read from file, into
// cfg strictly: see [yamlDecoder]. It returns nil or a [*ConfigError].
func decodeConfig(file string, data []byte, cfg *Config) error {
	return decodeYAML(file, data, cfg, reservedKeyHint)
}

// reservedKeyHint explains the top-level blocks that later releases add and
// this one still refuses.
func reservedKeyHint(path string) string {
	switch path {
	case "postgres", "redis":
		return fmt.Sprintf("the %s block is reserved for a later release and not supported yet", path)
	}
	return ""
}
