package processor

import (
	"log/slog"
	"strings"
)

// LogFormat is how log records are written.
type LogFormat string

// The log formats [NewLogger] writes.
const (
	// LogFormatText is logfmt-style key=value lines, for people. It is the
	// default of the embedded profile.
	LogFormatText LogFormat = "text"
	// LogFormatJSON is one JSON object per line, for log collectors. It is
	// the default of the production profile.
	LogFormatJSON LogFormat = "json"
)

// LogConfig configures the structured logger built by [NewLogger].
type LogConfig struct {
	// Format is "text" or "json". Default "text"; [Config.SetDefaults]
	// makes it "json" under the production profile.
	Format LogFormat `yaml:"format"`
	// Level is the least severe level written: "debug", "info", "warn" or
	// "error" (any case). Default "info".
	Level string `yaml:"level"`
}

// SetDefaults fills every empty field with its default.
func (c *LogConfig) SetDefaults() {
	if c.Format == "" {
		c.Format = LogFormatText
	}
	if c.Level == "" {
		c.Level = "info"
	}
}

// Validate reports every invalid field as a [*ConfigError] with paths
// relative to the log block, or returns nil.
func (c *LogConfig) Validate() error {
	var v validator
	switch c.Format {
	case LogFormatText, LogFormatJSON:
	default:
		v.add("format", "unknown format %q (want text or json)", c.Format)
	}
	if _, ok := c.slogLevel(); !ok {
		v.add("level", "unknown level %q (want debug, info, warn or error)", c.Level)
	}
	return v.err()
}

// slogLevel maps Level to its [slog.Level].
func (c *LogConfig) slogLevel() (slog.Level, bool) {
	switch strings.ToLower(c.Level) {
	case "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return 0, false
}
