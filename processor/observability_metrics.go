package processor

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsNamespace prefixes every worldval metric name.
const metricsNamespace = "worldval"

// CommandOutcome is how the ingestion of one command ended, a label value of
// worldval_commands_ingested_total.
type CommandOutcome string

// The outcomes of ingesting a command.
const (
	// OutcomeAccepted: the command was decided and its events appended.
	OutcomeAccepted CommandOutcome = "accepted"
	// OutcomeDuplicate: the command's idempotency key was seen before; the
	// append was a no-op that reported success.
	OutcomeDuplicate CommandOutcome = "duplicate"
	// OutcomeRejected: the command was invalid or the aggregate refused it;
	// retrying it unchanged will not help.
	OutcomeRejected CommandOutcome = "rejected"
	// OutcomeFailed: an infrastructure error (store, broker) stopped it; a
	// retry may succeed.
	OutcomeFailed CommandOutcome = "failed"
)

// Metrics is the service's Prometheus instrumentation: its own registry
// (never the global one) holding worldval's metrics and the Go runtime and
// process collectors, and a typed method for each thing the code records.
// Build it with [NewMetrics]. It is safe for concurrent use, and a nil
// *Metrics is valid and records nothing, so components may take one as an
// optional dependency.
//
// Label values must come from small fixed sets (command types, projection
// and subscriber names, verdicts), never from request data such as world or
// run ids: every distinct value is a new time series.
type Metrics struct {
	reg                  *prometheus.Registry
	commands             *prometheus.CounterVec
	appendSeconds        prometheus.Histogram
	evaluationSeconds    prometheus.Histogram
	projectionLagEvents  *prometheus.GaugeVec
	projectionLagSeconds *prometheus.GaugeVec
	subscriptionErrors   *prometheus.CounterVec
	runs                 *prometheus.CounterVec
	httpRequests         *prometheus.CounterVec
	httpSeconds          *prometheus.HistogramVec
}

// NewMetrics creates the metrics on a new registry. Each call is
// independent, so tests and several services in one process do not share
// series.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "commands_ingested_total",
			Help: "Commands ingested (HTTP or Kafka), by command type and outcome (accepted, duplicate, rejected, failed).",
		}, []string{"type", "outcome"}),
		appendSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "eventstore_append_duration_seconds",
			Help:    "Latency of one event-store append, durable commit included, in seconds.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}),
		evaluationSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "evaluation_duration_seconds",
			Help:    "Time from an evaluation run's submission to its completion, in seconds.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}),
		projectionLagEvents: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "projection_lag_events",
			Help: "Events in the store that a projection has not applied yet, by projection.",
		}, []string{"projection"}),
		projectionLagSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Name: "projection_lag_seconds",
			Help: "Age of the oldest event a projection has not applied yet, in seconds (0 when caught up), by projection.",
		}, []string{"projection"}),
		subscriptionErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "subscription_errors_total",
			Help: "Errors of checkpointed subscriptions (projections, handlers, outbox), by subscriber.",
		}, []string{"subscriber"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "evaluation_runs_total",
			Help: "Evaluation runs completed, by verdict (pass, warn, fail).",
		}, []string{"verdict"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "http_request_duration_seconds",
			Help:    "Latency of HTTP requests, by route pattern, method and status code, in seconds.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "code"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.commands, m.appendSeconds, m.evaluationSeconds,
		m.projectionLagEvents, m.projectionLagSeconds,
		m.subscriptionErrors, m.runs, m.httpRequests, m.httpSeconds,
	)
	for _, verdict := range []string{"pass", "warn", "fail"} {
		m.runs.WithLabelValues(verdict) // export zeros, so rate() works from the first run
	}
	return m
}

// Registry returns the registry holding every metric, for a caller that
// registers collectors of its own (a store's connection pool, say).
func (m *Metrics) Registry() *prometheus.Registry {
	return m.reg
}

// Handler serves the registry in the Prometheus exposition format; mount it
// at GET /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// CommandIngested counts one command of the given type (such as
// "SubmitEvaluationRun") that ended with outcome.
func (m *Metrics) CommandIngested(commandType string, outcome CommandOutcome) {
	if m == nil {
		return
	}
	m.commands.WithLabelValues(commandType, string(outcome)).Inc()
}

// ObserveAppend records the latency of one event-store append.
func (m *Metrics) ObserveAppend(d time.Duration) {
	if m == nil {
		return
	}
	m.appendSeconds.Observe(d.Seconds())
}

// ObserveEvaluation records the time from an evaluation run's submission to
// its completion.
func (m *Metrics) ObserveEvaluation(d time.Duration) {
	if m == nil {
		return
	}
	m.evaluationSeconds.Observe(d.Seconds())
}

// SetProjectionLag records how far the named projection is behind the head
// of the store: events not yet applied, and the age of the oldest of them
// (zero when caught up).
func (m *Metrics) SetProjectionLag(projection string, events int64, age time.Duration) {
	if m == nil {
		return
	}
	m.projectionLagEvents.WithLabelValues(projection).Set(float64(events))
	m.projectionLagSeconds.WithLabelValues(projection).Set(age.Seconds())
}

// SubscriptionError counts one error of the named subscriber (a projection,
// handler or the outbox relay).
func (m *Metrics) SubscriptionError(subscriber string) {
	if m == nil {
		return
	}
	m.subscriptionErrors.WithLabelValues(subscriber).Inc()
}

// RunCompleted counts one completed evaluation run with its verdict ("pass",
// "warn" or "fail").
func (m *Metrics) RunCompleted(verdict string) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(verdict).Inc()
}
