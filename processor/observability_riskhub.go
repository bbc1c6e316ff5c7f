package processor

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// unknownLabel stands for a missing label value (risk-hub spec §6.1).
const unknownLabel = "unknown"

// extendedValidationBuckets are the latency buckets of an extended-validation
// run, in seconds, up to 300 s (D23): with the client's default buckets,
// which stop at 10 s, histogram_quantile could never exceed 10 s and the 60 s
// alert could never fire.
func extendedValidationBuckets() []float64 {
	return []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}
}

// RiskHubMetrics are the Prometheus metrics of risk-hub spec §6.1 — the
// snapshot hub, the validation-event consumer, extended validation and live
// monitoring — with the names, types and labels the spec gives (no
// worldval_ prefix, so QMTL's alert rules and dashboards apply unchanged),
// registered on the service's registry. A missing label value is recorded
// as "unknown". Build it with [NewRiskHubMetrics]; it is safe for concurrent
// use, and a nil *RiskHubMetrics records nothing.
//
// Unlike worldval's own metrics these carry world ids as labels, as the spec
// requires: a world is configured by operators, so the set is small, but
// every world that publishes is a new series.
type RiskHubMetrics struct {
	lag       *prometheus.GaugeVec
	missing   *prometheus.CounterVec
	processed *prometheus.CounterVec
	failed    *prometheus.CounterVec
	retry     *prometheus.CounterVec
	dlq       *prometheus.CounterVec
	dedupe    *prometheus.CounterVec
	expired   *prometheus.CounterVec
	latency   *prometheus.HistogramVec

	eventProcessed *prometheus.CounterVec
	eventFailed    *prometheus.CounterVec
	eventRetry     *prometheus.CounterVec
	eventDLQ       *prometheus.CounterVec
	eventDedupe    *prometheus.CounterVec
	eventExpired   *prometheus.CounterVec
	eventLatency   *prometheus.HistogramVec

	extendedRuns    *prometheus.CounterVec
	extendedLatency *prometheus.HistogramVec
	liveRuns        *prometheus.CounterVec
	liveUpdated     *prometheus.CounterVec
}

// NewRiskHubMetrics creates the metrics and registers them on reg (normally
// [Metrics.Registry]). It panics when a metric of the same name is
// registered already, a wiring mistake.
func NewRiskHubMetrics(reg prometheus.Registerer) *RiskHubMetrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	hub := []string{"world_id", "stage"}
	event := []string{"world_id", "event_type", "stage"}
	m := &RiskHubMetrics{
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "risk_hub_snapshot_lag_seconds",
			Help: "Now minus as_of of the world's newest risk snapshot, in seconds; set by the periodic freshness probe.",
		}, []string{"world_id"}),
		missing:   counter("risk_hub_snapshot_missing_total", "A worker found no usable (non-expired) latest risk snapshot for the world.", "world_id"),
		processed: counter("risk_hub_snapshot_processed_total", "Risk snapshots accepted (HTTP) or applied (Kafka).", hub...),
		failed:    counter("risk_hub_snapshot_failed_total", "Risk snapshots refused at the hub (version conflict, missing blob; on Kafka also invalid payloads and exhausted retries).", hub...),
		retry:     counter("risk_hub_snapshot_retry_total", "Retries of risk snapshots by the Kafka consumer, one per extra attempt.", hub...),
		dlq:       counter("risk_hub_snapshot_dlq_total", "Risk snapshots the Kafka consumer routed to the dead-letter topic.", hub...),
		dedupe:    counter("risk_hub_snapshot_dedupe_total", "Idempotent re-sends of recorded risk snapshots (HTTP) and consumer dedupe hits (Kafka).", hub...),
		expired:   counter("risk_hub_snapshot_expired_total", "Risk snapshots refused or dropped because they were already expired.", hub...),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "risk_hub_snapshot_processing_latency_seconds",
			Help:    "Kafka ingress: now minus created_at of an applied risk snapshot, in seconds.",
			Buckets: prometheus.DefBuckets,
		}, hub),

		eventProcessed: counter("validation_event_processed_total", "Validation events handled.", event...),
		eventFailed:    counter("validation_event_failed_total", "Validation events whose retries were exhausted.", event...),
		eventRetry:     counter("validation_event_retry_total", "Retries of validation events, one per extra attempt.", event...),
		eventDLQ:       counter("validation_event_dlq_total", "Validation events routed to the dead-letter topic.", event...),
		eventDedupe:    counter("validation_event_dedupe_total", "Validation events with an idempotency key already handled.", event...),
		eventExpired:   counter("validation_event_expired_total", "Validation events older than the event TTL.", event...),
		eventLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "validation_event_processing_latency_seconds",
			Help:    "Now minus the CloudEvents time of a handled validation event, in seconds.",
			Buckets: prometheus.DefBuckets,
		}, event),

		extendedRuns: counter("extended_validation_run_total",
			"Extended-validation runs by status: success, failure, scheduled, enqueue_failed, no_updates.", "world_id", "stage", "status"),
		extendedLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "extended_validation_run_latency_seconds",
			Help:    "Duration of one extended-validation run, in seconds.",
			Buckets: extendedValidationBuckets(),
		}, hub),
		liveRuns:    counter("live_monitoring_run_total", "Live-monitoring runs by status (success, failure); world_id \"all\" for a failed run over every world.", "world_id", "status"),
		liveUpdated: counter("live_monitoring_run_updated_strategies_total", "Live runs materialised by live monitoring.", "world_id"),
	}
	reg.MustRegister(
		m.lag, m.missing, m.processed, m.failed, m.retry, m.dlq, m.dedupe, m.expired, m.latency,
		m.eventProcessed, m.eventFailed, m.eventRetry, m.eventDLQ, m.eventDedupe, m.eventExpired, m.eventLatency,
		m.extendedRuns, m.extendedLatency, m.liveRuns, m.liveUpdated,
	)
	return m
}

// label returns v, or "unknown" when it is empty.
func label(v string) string {
	if v == "" {
		return unknownLabel
	}
	return v
}

// SnapshotLag sets risk_hub_snapshot_lag_seconds of world.
func (m *RiskHubMetrics) SnapshotLag(world string, lag time.Duration) {
	if m == nil {
		return
	}
	m.lag.WithLabelValues(label(world)).Set(lag.Seconds())
}

// SnapshotMissing counts a worker that found no usable latest snapshot of
// world.
func (m *RiskHubMetrics) SnapshotMissing(world string) {
	if m == nil {
		return
	}
	m.missing.WithLabelValues(label(world)).Inc()
}

// SnapshotProcessed counts a snapshot recorded (HTTP) or applied (Kafka).
func (m *RiskHubMetrics) SnapshotProcessed(world, stage string) {
	if m != nil {
		m.processed.WithLabelValues(label(world), label(stage)).Inc()
	}
}

// SnapshotFailed counts a snapshot refused at the hub, or on Kafka an
// invalid one or one whose retries ran out.
func (m *RiskHubMetrics) SnapshotFailed(world, stage string) {
	if m != nil {
		m.failed.WithLabelValues(label(world), label(stage)).Inc()
	}
}

// SnapshotRetry counts one extra attempt of the Kafka consumer.
func (m *RiskHubMetrics) SnapshotRetry(world, stage string) {
	if m != nil {
		m.retry.WithLabelValues(label(world), label(stage)).Inc()
	}
}

// SnapshotDLQ counts a snapshot routed to the dead-letter topic.
func (m *RiskHubMetrics) SnapshotDLQ(world, stage string) {
	if m != nil {
		m.dlq.WithLabelValues(label(world), label(stage)).Inc()
	}
}

// SnapshotDedupe counts an idempotent re-send or a consumer dedupe hit.
func (m *RiskHubMetrics) SnapshotDedupe(world, stage string) {
	if m != nil {
		m.dedupe.WithLabelValues(label(world), label(stage)).Inc()
	}
}

// SnapshotExpired counts a snapshot that arrived already expired.
func (m *RiskHubMetrics) SnapshotExpired(world, stage string) {
	if m != nil {
		m.expired.WithLabelValues(label(world), label(stage)).Inc()
	}
}

// ObserveSnapshotLatency records now − created_at of a snapshot applied
// from Kafka.
func (m *RiskHubMetrics) ObserveSnapshotLatency(world, stage string, d time.Duration) {
	if m != nil {
		m.latency.WithLabelValues(label(world), label(stage)).Observe(d.Seconds())
	}
}

// ValidationEventOutcome is how the handling of one validation event ended.
type ValidationEventOutcome int

// The outcomes of a validation event, each its own counter.
const (
	ValidationEventProcessed ValidationEventOutcome = iota
	ValidationEventFailed
	ValidationEventRetry
	ValidationEventDLQ
	ValidationEventDedupe
	ValidationEventExpired
)

// ValidationEvent counts one validation event of eventType for world and
// stage with its outcome.
func (m *RiskHubMetrics) ValidationEvent(outcome ValidationEventOutcome, world, eventType, stage string) {
	if m == nil {
		return
	}
	var c *prometheus.CounterVec
	switch outcome {
	case ValidationEventProcessed:
		c = m.eventProcessed
	case ValidationEventFailed:
		c = m.eventFailed
	case ValidationEventRetry:
		c = m.eventRetry
	case ValidationEventDLQ:
		c = m.eventDLQ
	case ValidationEventDedupe:
		c = m.eventDedupe
	case ValidationEventExpired:
		c = m.eventExpired
	default:
		return
	}
	c.WithLabelValues(label(world), label(eventType), label(stage)).Inc()
}

// ObserveValidationEventLatency records now − the CloudEvents time of a
// handled validation event.
func (m *RiskHubMetrics) ObserveValidationEventLatency(world, eventType, stage string, d time.Duration) {
	if m != nil {
		m.eventLatency.WithLabelValues(label(world), label(eventType), label(stage)).Observe(d.Seconds())
	}
}

// ExtendedValidationRun counts an extended-validation run of world and stage
// ("" is "unknown") with status success, failure, scheduled,
// enqueue_failed or no_updates.
func (m *RiskHubMetrics) ExtendedValidationRun(world, stage, status string) {
	if m != nil {
		m.extendedRuns.WithLabelValues(label(world), label(stage), label(status)).Inc()
	}
}

// ObserveExtendedValidation records the duration of one extended-validation
// run.
func (m *RiskHubMetrics) ObserveExtendedValidation(world, stage string, d time.Duration) {
	if m != nil {
		m.extendedLatency.WithLabelValues(label(world), label(stage)).Observe(d.Seconds())
	}
}

// LiveMonitoringRun counts a live-monitoring run of world ("all" for a
// failed run over every world) with status success or failure.
func (m *RiskHubMetrics) LiveMonitoringRun(world, status string) {
	if m != nil {
		m.liveRuns.WithLabelValues(label(world), label(status)).Inc()
	}
}

// LiveMonitoringUpdated adds n live runs materialised for world; n ≤ 0
// records nothing.
func (m *RiskHubMetrics) LiveMonitoringUpdated(world string, n int) {
	if m != nil && n > 0 {
		m.liveUpdated.WithLabelValues(label(world)).Add(float64(n))
	}
}
