package main

import (
	"flag"
	"strings"

	"github.com/worldval/worldval/processor"
)

// kafkaFlags are the connection flags of the Kafka commands: the brokers,
// or a configuration file whose kafka block (TLS, SASL, topics) applies;
// WORLDVAL_KAFKA_* variables override the file and --brokers both.
type kafkaFlags struct {
	config  string
	brokers string
}

// declareKafkaFlags declares the connection flags on fs.
func declareKafkaFlags(fs *flag.FlagSet) *kafkaFlags {
	f := &kafkaFlags{}
	fs.StringVar(&f.config, "config", "", "YAML configuration `file` whose kafka block (topics, TLS, SASL) to use")
	fs.StringVar(&f.brokers, "brokers", "", "comma-separated Kafka `brokers` (host:port); overrides kafka.brokers")
	return f
}

// load returns the kafka block: defaults, the --config file, WORLDVAL_*
// variables, then --brokers. It is a usage error when no broker is named.
func (f *kafkaFlags) load(getenv func(string) string) (processor.KafkaConfig, error) {
	cfg, err := processor.LoadConfig(f.config, getenv, func(c *processor.Config) {
		if f.brokers != "" {
			var bs []string
			for _, b := range strings.Split(f.brokers, ",") {
				if b = strings.TrimSpace(b); b != "" {
					bs = append(bs, b)
				}
			}
			c.Kafka.Brokers = bs
		}
	})
	if err != nil {
		return processor.KafkaConfig{}, usageError{err}
	}
	if !cfg.Kafka.Enabled() {
		return processor.KafkaConfig{}, usagef("no Kafka brokers: give --brokers host:port, kafka.brokers in --config, or WORLDVAL_KAFKA_BROKERS")
	}
	return cfg.Kafka, nil
}
