package processor

import (
	"io"
	"log/slog"
)

// NewLogger builds the service's structured logger from cfg, writing to w:
// text (key=value) lines for people or one JSON object per line for log
// collectors, at cfg's level and above. Like every component constructor it
// applies defaults to (a copy of) cfg and validates it first, returning a
// [*ConfigError] for a bad format or level.
func NewLogger(w io.Writer, cfg LogConfig) (*slog.Logger, error) {
	cfg.SetDefaults()
	var v validator
	v.merge("log", cfg.Validate())
	if err := v.err(); err != nil {
		return nil, err
	}
	level, _ := cfg.slogLevel() // valid: checked above
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == LogFormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
