package processor

import (
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// riskHubMetricSpec is one row of risk-hub spec §6.1.
type riskHubMetricSpec struct {
	name   string
	typ    dto.MetricType
	labels []string
}

func riskHubMetricSpecs() []riskHubMetricSpec {
	hub := []string{"stage", "world_id"}
	event := []string{"event_type", "stage", "world_id"}
	c, g, h := dto.MetricType_COUNTER, dto.MetricType_GAUGE, dto.MetricType_HISTOGRAM
	return []riskHubMetricSpec{
		{"risk_hub_snapshot_lag_seconds", g, []string{"world_id"}},
		{"risk_hub_snapshot_missing_total", c, []string{"world_id"}},
		{"risk_hub_snapshot_processed_total", c, hub},
		{"risk_hub_snapshot_failed_total", c, hub},
		{"risk_hub_snapshot_retry_total", c, hub},
		{"risk_hub_snapshot_dlq_total", c, hub},
		{"risk_hub_snapshot_dedupe_total", c, hub},
		{"risk_hub_snapshot_expired_total", c, hub},
		{"risk_hub_snapshot_processing_latency_seconds", h, hub},
		{"validation_event_processed_total", c, event},
		{"validation_event_failed_total", c, event},
		{"validation_event_retry_total", c, event},
		{"validation_event_dlq_total", c, event},
		{"validation_event_dedupe_total", c, event},
		{"validation_event_expired_total", c, event},
		{"validation_event_processing_latency_seconds", h, event},
		{"extended_validation_run_total", c, []string{"stage", "status", "world_id"}},
		{"extended_validation_run_latency_seconds", h, hub},
		{"live_monitoring_run_total", c, []string{"status", "world_id"}},
		{"live_monitoring_run_updated_strategies_total", c, []string{"world_id"}},
	}
}

func TestRiskHubMetricsAreTheSpecs(t *testing.T) {
	base := NewMetrics()
	m := NewRiskHubMetrics(base.Registry())
	m.SnapshotLag("w", 90*time.Second)
	m.SnapshotMissing("w")
	m.SnapshotProcessed("w", "paper")
	m.SnapshotFailed("w", "")
	m.SnapshotRetry("w", "paper")
	m.SnapshotDLQ("w", "paper")
	m.SnapshotDedupe("w", "paper")
	m.SnapshotExpired("w", "paper")
	m.ObserveSnapshotLatency("w", "paper", time.Second)
	for o := ValidationEventProcessed; o <= ValidationEventExpired; o++ {
		m.ValidationEvent(o, "w", "evaluation_run_created", "paper")
	}
	m.ValidationEvent(ValidationEventOutcome(99), "w", "x", "y") // ignored
	m.ObserveValidationEventLatency("w", "evaluation_run_created", "paper", time.Second)
	m.ExtendedValidationRun("w", "", "success")
	m.ObserveExtendedValidation("w", "paper", 90*time.Second)
	m.LiveMonitoringRun("all", "failure")
	m.LiveMonitoringUpdated("w", 3)
	m.LiveMonitoringUpdated("w", 0)

	families, err := base.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	for _, s := range riskHubMetricSpecs() {
		f := byName[s.name]
		if f == nil {
			t.Errorf("%s is not on the registry", s.name)
			continue
		}
		if f.GetType() != s.typ {
			t.Errorf("%s is a %s, want %s", s.name, f.GetType(), s.typ)
		}
		for _, metric := range f.GetMetric() {
			var names []string
			for _, l := range metric.GetLabel() {
				names = append(names, l.GetName())
				if l.GetValue() == "" {
					t.Errorf("%s has an empty %s label", s.name, l.GetName())
				}
			}
			if !slices.Equal(names, s.labels) {
				t.Errorf("%s labels %v, want %v", s.name, names, s.labels)
			}
		}
	}
	// D23: the extended-validation latency buckets reach 300 s, so the 60 s
	// alert can fire.
	h := byName["extended_validation_run_latency_seconds"].GetMetric()[0].GetHistogram()
	if top := h.GetBucket()[len(h.GetBucket())-1].GetUpperBound(); top < 300 {
		t.Errorf("extended-validation buckets stop at %g s", top)
	}
	var failedStage string
	for _, l := range byName["risk_hub_snapshot_failed_total"].GetMetric()[0].GetLabel() {
		if l.GetName() == "stage" {
			failedStage = l.GetValue()
		}
	}
	if failedStage != "unknown" {
		t.Errorf("a missing stage is labelled %q, want unknown", failedStage)
	}
	if got := byName["live_monitoring_run_updated_strategies_total"].GetMetric()[0].GetCounter().GetValue(); got != 3 {
		t.Errorf("updated strategies %g", got)
	}

	var none *RiskHubMetrics // nil records nothing and does not panic
	none.SnapshotProcessed("w", "s")
	none.SnapshotLag("w", time.Second)
	none.ValidationEvent(ValidationEventDLQ, "w", "t", "s")
	none.LiveMonitoringUpdated("w", 1)
}
