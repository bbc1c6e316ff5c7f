package processor

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a consumed Kafka record, label values of
// worldval_kafka_records_total.
const (
	kafkaApplied      = "applied"       // the command appended its events
	kafkaDuplicate    = "duplicate"     // the command had been applied before
	kafkaDeadLettered = "dead_lettered" // written to the DLQ
	kafkaIgnored      = "ignored"       // the service's own event (risk-hub D6)

	// Outcomes of an attempt, for the risk-hub metrics only (not labels of
	// worldval_kafka_records_total).
	kafkaRetried          = "retried"           // a transient failure; tried again
	kafkaRetriesExhausted = "retries_exhausted" // a transient failure after the last attempt
)

// kafkaMetrics counts what the Kafka ingress does with each record. Topic
// labels come from the configuration and codes from the error-code
// registry, so the series stay few.
type kafkaMetrics struct {
	records     *prometheus.CounterVec
	retries     *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
}

// newKafkaMetrics registers the ingress's metrics on m's registry, or finds
// the ones an earlier ingress of the same service registered. A nil m gives
// metrics that record into no registry.
func newKafkaMetrics(m *Metrics) (*kafkaMetrics, error) {
	k := &kafkaMetrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "kafka_records_total",
			Help: "Records consumed from the ingress topics, by topic and outcome (applied, duplicate, dead_lettered, ignored).",
		}, []string{"topic", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "kafka_retries_total",
			Help: "Retries of commands that failed for a transient reason, by topic.",
		}, []string{"topic"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "kafka_dead_letters_total",
			Help: "Records written to the DLQ, by source topic and error code.",
		}, []string{"topic", "code"}),
	}
	if m == nil {
		return k, nil
	}
	var err error
	if k.records, err = register(m.reg, k.records); err != nil {
		return nil, err
	}
	if k.retries, err = register(m.reg, k.retries); err != nil {
		return nil, err
	}
	if k.deadLetters, err = register(m.reg, k.deadLetters); err != nil {
		return nil, err
	}
	return k, nil
}

// register adds c to reg, or returns the equal collector already there.
func register(reg *prometheus.Registry, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	if err := reg.Register(c); err != nil {
		var dup prometheus.AlreadyRegisteredError
		if errors.As(err, &dup) {
			if existing, ok := dup.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing, nil
			}
		}
		return nil, err
	}
	return c, nil
}
