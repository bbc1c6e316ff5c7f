package processor

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// SaramaConfig returns the sarama client configuration of c: client id,
// protocol version, TLS and SASL, with getenv reading sasl.password_env. It
// reads the TLS and password files named in c. Callers set what their role
// needs (producer acknowledgements, consumer offsets) on the result.
func (c *KafkaConfig) SaramaConfig(getenv func(string) string) (*sarama.Config, error) {
	sc := sarama.NewConfig()
	sc.ClientID = c.ClientID
	// Protocol 2.8: brokers from 2.8 to 4.x understand it (Kafka 4 dropped
	// only older request versions).
	sc.Version = sarama.V2_8_0_0
	sc.Net.DialTimeout = 10 * time.Second
	sc.Metadata.Retry.Backoff = 250 * time.Millisecond
	if c.TLS.TLSEnabled() {
		tc, err := c.TLS.tlsConfig()
		if err != nil {
			return nil, fmt.Errorf("kafka tls: %w", err)
		}
		sc.Net.TLS.Enable, sc.Net.TLS.Config = true, tc
	}
	if c.SASL.Mechanism != "" {
		password, err := c.SASL.password(getenv)
		if err != nil {
			return nil, fmt.Errorf("kafka sasl: %w", err)
		}
		sc.Net.SASL.Enable = true
		sc.Net.SASL.User, sc.Net.SASL.Password = c.SASL.Username, password
		sc.Net.SASL.Handshake = true
		switch c.SASL.Mechanism {
		case SASLPlain:
			sc.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		case SASLScramSHA256:
			sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
			sc.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(sha256.New)
		case SASLScramSHA512:
			sc.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
			sc.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(sha512.New)
		default:
			return nil, fmt.Errorf("kafka sasl: unknown mechanism %q", c.SASL.Mechanism)
		}
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka client configuration: %w", err)
	}
	return sc, nil
}

// ProducerConfig is the sarama configuration of worldval's producers (the
// DLQ, the outbox, `worldval publish`): [KafkaConfig.SaramaConfig] plus the
// idempotent producer — acknowledgements from all in-sync replicas, one
// request in flight per broker, retries — so a retried send never writes a
// record twice or out of order, and the hash partitioner, so one key stays
// in one partition.
func (c *KafkaConfig) ProducerConfig(getenv func(string) string) (*sarama.Config, error) {
	sc, err := c.SaramaConfig(getenv)
	if err != nil {
		return nil, err
	}
	sc.Producer.Idempotent = true
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Retry.Max = 10
	sc.Producer.Retry.Backoff = 250 * time.Millisecond
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Producer.Partitioner = sarama.NewHashPartitioner
	sc.Net.MaxOpenRequests = 1
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka producer configuration: %w", err)
	}
	return sc, nil
}

// tlsConfig builds the TLS configuration, reading the CA and client
// certificate files.
func (c *KafkaTLSConfig) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in, documented as tests-only
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// password returns the SASL password from its one source.
func (s *KafkaSASLConfig) password(getenv func(string) string) (string, error) {
	switch {
	case s.Password != "":
		return s.Password, nil
	case s.PasswordFile != "":
		data, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("read password_file: %w", err)
		}
		p := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if p == "" {
			return "", fmt.Errorf("password_file %s is empty", s.PasswordFile)
		}
		return p, nil
	case s.PasswordEnv != "":
		if getenv == nil {
			getenv = os.Getenv
		}
		p := getenv(s.PasswordEnv)
		if p == "" {
			return "", fmt.Errorf("password_env: %s is unset or empty", s.PasswordEnv)
		}
		return p, nil
	}
	return "", fmt.Errorf("no password source")
}
