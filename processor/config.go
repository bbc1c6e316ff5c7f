package processor

import (
	"path/filepath"
)

// Profile names a deployment shape. It chooses defaults (log format) and what
// validation insists on (authentication).
type Profile string

// The profiles worldval knows.
const (
	// ProfileEmbedded is one process with its sqlite event store and no
	// external servers. It is the default.
	ProfileEmbedded Profile = "embedded"
	// ProfileProduction is the shape operators run: JSON logs by default, and
	// at least one bearer token required.
	ProfileProduction Profile = "production"
)

// Config is the configuration of one worldval process, as read by
// [LoadConfig] from a YAML file, WORLDVAL_* environment variables and
// command-line flags (docs/configuration.md lists every key). Each component
// has its own block with its own SetDefaults and Validate. The zero value,
// after [Config.SetDefaults], is the embedded profile: sqlite under ./data,
// HTTP on 127.0.0.1:8080, text logs, loopback-only access without tokens.
type Config struct {
	// DataDir is the directory of the embedded sqlite event store
	// (events.db). Default "data".
	DataDir string `yaml:"data_dir"`
	// Profile is the deployment profile. Default [ProfileEmbedded].
	Profile Profile `yaml:"profile"`
	// HTTP configures the HTTP API listener and its timeouts.
	HTTP HTTPConfig `yaml:"http"`
	// Log configures the structured logger.
	Log LogConfig `yaml:"log"`
	// Auth configures the bearer tokens that authenticate API callers.
	Auth AuthConfig `yaml:"auth"`
	// Kafka configures the Kafka ingress and the outbox relay; off without
	// brokers.
	Kafka KafkaConfig `yaml:"kafka"`
	// RiskHub configures the risk signal hub: snapshot contract, blob
	// offload and freshness probe.
	RiskHub RiskHubConfig `yaml:"risk_hub"`
	// ExtendedValidation configures the extended validation layers.
	ExtendedValidation ExtendedValidationConfig `yaml:"extended_validation"`
	// LiveMonitoring configures the live monitor's schedule and live ES
	// gate.
	LiveMonitoring LiveMonitoringConfig `yaml:"live_monitoring"`
	// Exit configures the exit engine's limits; off until set.
	Exit ExitConfig `yaml:"exit"`
	// Runtime tunes the Go runtime: the garbage collector's memory/CPU
	// trade.
	Runtime RuntimeConfig `yaml:"runtime"`
}

// SetDefaults fills every empty field with its default. Defaults that depend
// on the profile (the log format) follow c.Profile, so set the profile first.
func (c *Config) SetDefaults() {
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.Profile == "" {
		c.Profile = ProfileEmbedded
	}
	if c.Log.Format == "" && c.Profile == ProfileProduction {
		c.Log.Format = LogFormatJSON
	}
	c.HTTP.SetDefaults()
	c.Log.SetDefaults()
	c.Kafka.SetDefaults()
	c.RiskHub.SetDefaults(c.DataDir)
	c.ExtendedValidation.SetDefaults()
	c.LiveMonitoring.SetDefaults()
	c.Exit.SetDefaults()
	c.Runtime.SetDefaults()
}

// Validate reports every invalid field as a [*ConfigError] whose problems
// name each key's full path, or returns nil. It does no I/O: token secrets
// are read by [NewAuthenticator].
func (c *Config) Validate() error {
	var v validator
	if c.DataDir == "" {
		v.add("data_dir", "empty")
	}
	switch c.Profile {
	case ProfileEmbedded, ProfileProduction:
	default:
		v.add("profile", "unknown profile %q (want %s or %s)", c.Profile, ProfileEmbedded, ProfileProduction)
	}
	v.merge("http", c.HTTP.Validate())
	v.merge("log", c.Log.Validate())
	v.merge("auth", c.Auth.Validate())
	v.merge("kafka", c.Kafka.Validate())
	v.merge("risk_hub", c.RiskHub.Validate())
	v.merge("extended_validation", c.ExtendedValidation.Validate())
	v.merge("live_monitoring", c.LiveMonitoring.Validate())
	v.merge("exit", c.Exit.Validate())
	v.merge("runtime", c.Runtime.Validate())
	if c.Profile == ProfileProduction && len(c.Auth.Tokens) == 0 {
		v.add("auth.tokens", "the production profile needs at least one token (only the embedded profile may run without, and then serves loopback callers only)")
	}
	return v.err()
}

// EventStorePath is the sqlite file of the embedded event store in dir.
func EventStorePath(dir string) string {
	return filepath.Join(dir, "events.db")
}
