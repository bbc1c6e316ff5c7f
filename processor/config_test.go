package processor

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeConfig writes a configuration file into a temp dir and returns its
// path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "worldval.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// envMap returns a getenv over m.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaultsWithoutFile(t *testing.T) {
	cfg, err := LoadConfig("", envMap(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		DataDir: "data",
		Profile: ProfileEmbedded,
		HTTP: HTTPConfig{
			Addr:              "127.0.0.1:8080",
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			ShutdownTimeout:   10 * time.Second,
		},
		Log: LogConfig{Format: LogFormatText, Level: "info"},
		Kafka: KafkaConfig{
			ClientID: "worldval", ConsumerGroup: "worldval", Source: "worldval",
			Topics: KafkaTopics{
				Submissions: "worldval.submissions", Policies: "worldval.policies", Overrides: "worldval.overrides",
				RiskSnapshots: "worldval.risk-snapshots", DLQ: "worldval.dlq", Events: "worldval.events", ExitSignals: "worldval.exit-signals",
			},
			Retry: KafkaRetryConfig{MaxAttempts: 5, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second},
		},
		RiskHub: RiskHubConfig{
			TTLSecDefault: 900, TTLSecMax: 86400, InlineCovThreshold: 100, FreshnessInterval: 30 * time.Second,
			BlobStore: BlobStoreConfig{Type: BlobStoreFile, BaseDir: filepath.Join("data", "risk-blobs"), RedisPrefix: "risk-blobs:"},
		},
		ExtendedValidation: defaultExtendedValidation(),
		LiveMonitoring:     LiveMonitoringConfig{Interval: time.Hour},
		Exit:               ExitConfig{StressReduceRatio: 0.5, LiveDecayReduceRatio: 0.5},
		Runtime:            RuntimeConfig{GCPercent: DefaultGCPercent},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
	if !cfg.Auth.LoopbackOnly() {
		t.Fatal("no tokens must mean loopback-only")
	}
}

func TestLoadConfigEmptyFileIsDefaults(t *testing.T) {
	for _, text := range []string{"", "# only a comment\n", "---\n", "http:\nlog: ~\n"} {
		cfg, err := LoadConfig(writeConfig(t, text), nil, nil)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if cfg.HTTP.Addr != "127.0.0.1:8080" || cfg.Log.Format != LogFormatText {
			t.Fatalf("%q: defaults not applied: %+v", text, cfg)
		}
	}
}

// TestExampleFileLoads loads deploy/worldval.example.yaml as serve would and
// checks every value in it arrived.
func TestExampleFileLoads(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "deploy", "worldval.example.yaml"), envMap(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		DataDir: "/var/lib/worldval",
		Profile: ProfileProduction,
		HTTP: HTTPConfig{
			Addr:              "0.0.0.0:8080",
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			ShutdownTimeout:   10 * time.Second,
		},
		Log: LogConfig{Format: LogFormatJSON, Level: "info"},
		Auth: AuthConfig{Tokens: []TokenConfig{
			{Principal: "strategy-runner", SecretEnv: "RUNNER_TOKEN", Scopes: []Scope{ScopeRead, ScopeSubmit}},
			{Principal: "risk-validator", SecretFile: "/run/secrets/worldval-risk-validator", Scopes: []Scope{ScopeRead, ScopePolicyWrite, ScopeOverrideWrite}},
			{Principal: "risk-engine", SecretFile: "/run/secrets/worldval-risk-engine", Scopes: []Scope{ScopeHubWrite}},
			{Principal: "prometheus", SecretEnv: "PROMETHEUS_TOKEN", Scopes: []Scope{ScopeRead}},
		}},
		Kafka: KafkaConfig{
			Brokers:  []string{"kafka-1:9093", "kafka-2:9093", "kafka-3:9093"},
			ClientID: "worldval", ConsumerGroup: "worldval", Source: "worldval",
			Topics: KafkaTopics{
				Submissions: "worldval.submissions", Policies: "worldval.policies", Overrides: "worldval.overrides",
				RiskSnapshots: "worldval.risk-snapshots", DLQ: "worldval.dlq", Events: "worldval.events", ExitSignals: "worldval.exit-signals",
			},
			Retry: KafkaRetryConfig{MaxAttempts: 5, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second},
			TLS:   KafkaTLSConfig{CAFile: "/etc/worldval/kafka-ca.pem"},
			SASL:  KafkaSASLConfig{Mechanism: SASLScramSHA512, Username: "worldval", PasswordFile: "/run/secrets/worldval-kafka"},
		},
		RiskHub: RiskHubConfig{
			TTLSecDefault: 900, TTLSecMax: 86400, InlineCovThreshold: 100, FreshnessInterval: 30 * time.Second,
			AllowedActors: []string{"gateway", "risk-engine", "worldservice"}, AllowedStages: []string{"backtest", "paper", "live"},
			BlobStore: BlobStoreConfig{Type: BlobStoreRedis, BaseDir: "/var/lib/worldval/risk-blobs", RedisURL: "redis://redis-1:6379/0", RedisPrefix: "risk-blobs:"},
		},
		ExtendedValidation: defaultExtendedValidation(),
		LiveMonitoring:     LiveMonitoringConfig{Interval: time.Hour},
		Exit:               ExitConfig{StressReduceRatio: 0.5, LiveDecayReduceRatio: 0.5},
		Runtime:            RuntimeConfig{GCPercent: DefaultGCPercent, MemoryLimit: "3GiB"},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("example:\n got %+v\nwant %+v", cfg, want)
	}
}

// TestEnvOverridesFile checks file < environment, with values of every
// scalar type.
func TestEnvOverridesFile(t *testing.T) {
	path := writeConfig(t, `
data_dir: /from/file
http:
  addr: 127.0.0.1:1111
  read_timeout: 5s
log:
  format: text
  level: warn
`)
	cfg, err := LoadConfig(path, envMap(map[string]string{
		"WORLDVAL_DATA_DIR":          "/from/env",
		"WORLDVAL_HTTP_ADDR":         "127.0.0.1:2222",
		"WORLDVAL_HTTP_READ_TIMEOUT": "7s",
		"WORLDVAL_LOG_FORMAT":        "json",
		"WORLDVAL_LOG_LEVEL":         "", // empty: unset, the file's value stays
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/from/env" || cfg.HTTP.Addr != "127.0.0.1:2222" || cfg.HTTP.ReadTimeout != 7*time.Second ||
		cfg.Log.Format != LogFormatJSON || cfg.Log.Level != "warn" {
		t.Fatalf("env did not override the file as expected: %+v", cfg)
	}
}

// TestFlagsOverrideEnvAndFile checks file < environment < override (the
// command-line flags).
func TestFlagsOverrideEnvAndFile(t *testing.T) {
	path := writeConfig(t, "http:\n  addr: 127.0.0.1:1111\ndata_dir: /from/file\n")
	cfg, err := LoadConfig(path, envMap(map[string]string{"WORLDVAL_HTTP_ADDR": "127.0.0.1:2222", "WORLDVAL_DATA_DIR": "/from/env"}),
		func(c *Config) { c.HTTP.Addr = "127.0.0.1:3333" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:3333" || cfg.DataDir != "/from/env" {
		t.Fatalf("got addr %s data_dir %s; want the flag's addr and the env's data_dir", cfg.HTTP.Addr, cfg.DataDir)
	}
}

// TestProductionProfileDefaults checks that the profile, even from the
// environment, chooses JSON logs unless the format is set, and needs tokens.
func TestProductionProfileDefaults(t *testing.T) {
	path := writeConfig(t, "auth:\n  tokens:\n    - {principal: ci, secret: 0123456789abcdef0123, scopes: [read]}\n")
	cfg, err := LoadConfig(path, envMap(map[string]string{"WORLDVAL_PROFILE": "production"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log.Format != LogFormatJSON {
		t.Fatalf("production log format = %q, want json", cfg.Log.Format)
	}
	cfg, err = LoadConfig(path, envMap(map[string]string{"WORLDVAL_PROFILE": "production", "WORLDVAL_LOG_FORMAT": "text"}), nil)
	if err != nil || cfg.Log.Format != LogFormatText {
		t.Fatalf("an explicit format must win over the profile's default: %v %q", err, cfg.Log.Format)
	}
	_, err = LoadConfig("", envMap(map[string]string{"WORLDVAL_PROFILE": "production"}), nil)
	assertProblems(t, err, "auth.tokens: the production profile needs at least one token (only the embedded profile may run without, and then serves loopback callers only)")
}

func TestEnvErrorsNameTheVariable(t *testing.T) {
	_, err := LoadConfig("", envMap(map[string]string{
		"WORLDVAL_HTTP_IDLE_TIMEOUT": "forever",
		"WORLDVAL_HTTP_READ_TIMEOUT": "10",
	}), nil)
	assertProblems(t, err,
		`WORLDVAL_HTTP_READ_TIMEOUT: http.read_timeout: "10" is not a duration such as "10s" or "1m30s"`,
		`WORLDVAL_HTTP_IDLE_TIMEOUT: http.idle_timeout: "forever" is not a duration such as "10s" or "1m30s"`,
	)
}

// TestValidationErrors checks each validation problem's path and message,
// all reported together.
func TestValidationErrors(t *testing.T) {
	path := writeConfig(t, `
profile: staging
http:
  addr: localhost
  write_timeout: -1s
log:
  format: xml
  level: verbose
auth:
  tokens:
    - principal: ""
      secret: 0123456789abcdef
      secret_env: TOKEN
      scopes: []
    - principal: local
      scopes: [read, admin, read]
    - principal: "two words"
      secret_file: /dev/null
      scopes: [submit]
`)
	_, err := LoadConfig(path, nil, nil)
	assertProblems(t, err,
		`profile: unknown profile "staging" (want embedded or production)`,
		`http.addr: "localhost" is not host:port`,
		`http.write_timeout: must be positive, got -1s`,
		`log.format: unknown format "xml" (want text or json)`,
		`log.level: unknown level "verbose" (want debug, info, warn or error)`,
		`auth.tokens[0].principal: required`,
		`auth.tokens[0]: exactly one of secret, secret_file and secret_env is required, got 2`,
		`auth.tokens[0].scopes: at least one scope is required (read, submit, policy:write, override:write, hub:write)`,
		`auth.tokens[1].principal: "local" is reserved for unauthenticated loopback callers`,
		`auth.tokens[1]: exactly one of secret, secret_file and secret_env is required, got 0`,
		`auth.tokens[1].scopes[1]: unknown scope "admin" (want one of read, submit, policy:write, override:write, hub:write)`,
		`auth.tokens[1].scopes[2]: duplicate scope "read"`,
		`auth.tokens[2].principal: "two words" contains whitespace or unprintable characters`,
	)
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.yaml"), nil, nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want os.ErrNotExist wrapped", err)
	}
}

func TestLoadConfigRefusesHugeFile(t *testing.T) {
	path := writeConfig(t, "# "+strings.Repeat("x", maxConfigSize)+"\n")
	if _, err := LoadConfig(path, nil, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want a size refusal", err)
	}
}

// assertProblems checks that err is a *ConfigError whose problems read
// exactly want, in order.
func assertProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *ConfigError", err, err)
	}
	got := make([]string, len(ce.Problems))
	for i, p := range ce.Problems {
		got[i] = p.Error()
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems:\n got %q\nwant %q", got, want)
	}
}

// TestConfigErrorUnwrapsToFieldErrors lets callers inspect problems with
// errors.As.
func TestConfigErrorUnwrapsToFieldErrors(t *testing.T) {
	_, err := LoadConfig(writeConfig(t, "http:\n  addr: 1\n"), nil, nil)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "http.addr" || fe.Line != 2 || !strings.HasSuffix(fe.File, "worldval.yaml") {
		t.Fatalf("errors.As gave %+v from %v", fe, err)
	}
}
