package processor

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// Defaults of the kafka block.
const (
	// DefaultKafkaConsumerGroup is the consumer group of the ingress.
	DefaultKafkaConsumerGroup = "worldval"
	// DefaultKafkaClientID is the client id worldval presents to brokers.
	DefaultKafkaClientID = "worldval"
	// DefaultKafkaSource is the CloudEvents source of the integration
	// events worldval publishes.
	DefaultKafkaSource = "worldval"
)

// SASL mechanisms the kafka block accepts.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// KafkaConfig configures the Kafka ingress (commands in) and the outbox
// relay (integration events out). Kafka is off while Brokers is empty: then
// `serve` runs HTTP only and the rest of the block is ignored.
type KafkaConfig struct {
	// Brokers lists the bootstrap brokers as host:port. Empty: Kafka off.
	// The environment variable takes a comma-separated list.
	Brokers []string `yaml:"brokers"`
	// ClientID is the client id presented to the brokers. Default
	// "worldval".
	ClientID string `yaml:"client_id"`
	// ConsumerGroup is the ingress's consumer group; every instance of one
	// installation uses the same. Default "worldval".
	ConsumerGroup string `yaml:"consumer_group"`
	// Source is the CloudEvents source of the events worldval publishes;
	// the ingress ignores commands carrying it, so the service never
	// consumes its own output (risk-hub D6). Default "worldval".
	Source string `yaml:"source"`
	// Topics names the topics.
	Topics KafkaTopics `yaml:"topics"`
	// Retry bounds the retries of transient ingress failures.
	Retry KafkaRetryConfig `yaml:"retry"`
	// TLS configures encryption and client certificates.
	TLS KafkaTLSConfig `yaml:"tls"`
	// SASL configures authentication.
	SASL KafkaSASLConfig `yaml:"sasl"`
}

// KafkaTopics names worldval's topics. Every name must be distinct.
type KafkaTopics struct {
	// Submissions carries evaluation-run submissions. Default
	// "worldval.submissions".
	Submissions string `yaml:"submissions"`
	// Policies carries policy publications and default changes. Default
	// "worldval.policies".
	Policies string `yaml:"policies"`
	// Overrides carries overrides of evaluated runs. Default
	// "worldval.overrides".
	Overrides string `yaml:"overrides"`
	// RiskSnapshots carries portfolio risk snapshots. Default
	// "worldval.risk-snapshots".
	RiskSnapshots string `yaml:"risk_snapshots"`
	// DLQ receives the messages the ingress could not apply, with the
	// reason in headers. Default "worldval.dlq".
	DLQ string `yaml:"dlq"`
	// Events receives the integration events of the outbox relay. Default
	// "worldval.events".
	Events string `yaml:"events"`
	// ExitSignals receives the exit signals of the exit engine
	// (exit_signal_emitted), which the gateway consumes. Default
	// "worldval.exit-signals".
	ExitSignals string `yaml:"exit_signals"`
}

// KafkaRetryConfig bounds the retries of a command that failed for a
// transient reason (store unavailable, a concurrent write): after
// MaxAttempts attempts in all it is dead-lettered. Permanent failures are
// dead-lettered at once.
type KafkaRetryConfig struct {
	// MaxAttempts is how many times a command is tried in all. Default 5.
	MaxAttempts int `yaml:"max_attempts"`
	// InitialBackoff is the wait before the second attempt; each later
	// wait doubles, up to MaxBackoff. Default 100ms.
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	// MaxBackoff caps one wait. Default 5s.
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// KafkaTLSConfig configures TLS to the brokers.
type KafkaTLSConfig struct {
	// Enabled turns TLS on. Setting any file below implies it.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of the CAs that sign the brokers'
	// certificates; empty means the system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the PEM client certificate and key, for
	// brokers that require mutual TLS; give both or neither.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the client certificate's private key (PEM).
	KeyFile string `yaml:"key_file"`
	// ServerName overrides the name the brokers' certificates are checked
	// against (default: the broker host).
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts any broker certificate. For tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// KafkaSASLConfig configures SASL authentication to the brokers.
type KafkaSASLConfig struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty means no
	// SASL. PLAIN sends the password as is, so use it with TLS only.
	Mechanism string `yaml:"mechanism"`
	// Username is the SASL user. Required with a mechanism.
	Username string `yaml:"username"`
	// Password is the password inline; prefer PasswordFile or PasswordEnv.
	// With a mechanism, exactly one of the three is required.
	Password string `yaml:"password"`
	// PasswordFile is a file holding the password, read once at start; one
	// trailing newline is trimmed.
	PasswordFile string `yaml:"password_file"`
	// PasswordEnv is an environment variable holding the password, read
	// once at start.
	PasswordEnv string `yaml:"password_env"`
}

// Enabled reports whether Kafka is configured (any broker given).
func (c *KafkaConfig) Enabled() bool { return len(c.Brokers) > 0 }

// SetDefaults fills every empty field with its default.
func (c *KafkaConfig) SetDefaults() {
	setDefaultString(&c.ClientID, DefaultKafkaClientID)
	setDefaultString(&c.ConsumerGroup, DefaultKafkaConsumerGroup)
	setDefaultString(&c.Source, DefaultKafkaSource)
	t := &c.Topics
	setDefaultString(&t.Submissions, "worldval.submissions")
	setDefaultString(&t.Policies, "worldval.policies")
	setDefaultString(&t.Overrides, "worldval.overrides")
	setDefaultString(&t.RiskSnapshots, "worldval.risk-snapshots")
	setDefaultString(&t.DLQ, "worldval.dlq")
	setDefaultString(&t.Events, "worldval.events")
	setDefaultString(&t.ExitSignals, "worldval.exit-signals")
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 5
	}
	setDefaultDuration(&c.Retry.InitialBackoff, 100*time.Millisecond)
	setDefaultDuration(&c.Retry.MaxBackoff, 5*time.Second)
	if c.SASL.Mechanism != "" {
		c.SASL.Mechanism = strings.ToUpper(c.SASL.Mechanism)
	}
}

// Validate reports every invalid field as a [*ConfigError] with paths
// relative to the kafka block, or returns nil. It does no I/O: files and
// environment variables holding secrets are read when the clients are built.
func (c *KafkaConfig) Validate() error {
	var v validator
	for i, b := range c.Brokers {
		if host, port, err := net.SplitHostPort(b); err != nil || host == "" || port == "" {
			v.add(fmt.Sprintf("brokers[%d]", i), "%q is not host:port", b)
		}
	}
	for _, f := range []struct{ key, val string }{
		{"client_id", c.ClientID}, {"consumer_group", c.ConsumerGroup}, {"source", c.Source},
	} {
		if strings.TrimSpace(f.val) == "" {
			v.add(f.key, "empty")
		}
	}
	seen := map[string]string{}
	for _, t := range c.Topics.list() {
		path := "topics." + t.key
		switch {
		case !validTopic(t.name):
			v.add(path, "%q is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -, not \".\" or \"..\")", t.name)
		case seen[t.name] != "":
			v.add(path, "%q is also topics.%s; every topic must be distinct", t.name, seen[t.name])
		default:
			seen[t.name] = t.key
		}
	}
	if c.Retry.MaxAttempts < 1 {
		v.add("retry.max_attempts", "must be at least 1, got %d", c.Retry.MaxAttempts)
	}
	if c.Retry.InitialBackoff <= 0 {
		v.add("retry.initial_backoff", "must be positive, got %s", c.Retry.InitialBackoff)
	}
	if c.Retry.MaxBackoff < c.Retry.InitialBackoff {
		v.add("retry.max_backoff", "%s is less than retry.initial_backoff %s", c.Retry.MaxBackoff, c.Retry.InitialBackoff)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		v.add("tls", "cert_file and key_file go together: give both or neither")
	}
	c.SASL.validate(&v)
	return v.err()
}

// validate records the problems of the sasl block.
func (s *KafkaSASLConfig) validate(v *validator) {
	if s.Mechanism == "" {
		if s.Username != "" || s.Password != "" || s.PasswordFile != "" || s.PasswordEnv != "" {
			v.add("sasl.mechanism", "required when a username or password is given (%s, %s or %s)", SASLPlain, SASLScramSHA256, SASLScramSHA512)
		}
		return
	}
	switch s.Mechanism {
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
	default:
		v.add("sasl.mechanism", "unknown mechanism %q (want %s, %s or %s)", s.Mechanism, SASLPlain, SASLScramSHA256, SASLScramSHA512)
	}
	if s.Username == "" {
		v.add("sasl.username", "required with a mechanism")
	}
	sources := 0
	for _, p := range []string{s.Password, s.PasswordFile, s.PasswordEnv} {
		if p != "" {
			sources++
		}
	}
	if sources != 1 {
		v.add("sasl", "exactly one of password, password_file and password_env is required, got %d", sources)
	}
}

// TLSEnabled reports whether TLS is on, explicitly or implied by a file.
func (c *KafkaTLSConfig) TLSEnabled() bool {
	return c.Enabled || c.CAFile != "" || c.CertFile != "" || c.ServerName != "" || c.InsecureSkipVerify
}

// topicKey is one configured topic with its key in the topics block.
type topicKey struct{ key, name string }

// list returns every topic with its key, in declaration order.
func (t *KafkaTopics) list() []topicKey {
	return []topicKey{
		{"submissions", t.Submissions}, {"policies", t.Policies}, {"overrides", t.Overrides},
		{"risk_snapshots", t.RiskSnapshots}, {"dlq", t.DLQ}, {"events", t.Events}, {"exit_signals", t.ExitSignals},
	}
}

// validTopic reports whether name is a legal Kafka topic name.
func validTopic(name string) bool {
	if name == "" || len(name) > 249 || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// setDefaultString sets *s to def when it is empty.
func setDefaultString(s *string, def string) {
	if *s == "" {
		*s = def
	}
}
