package handlers

import (
	"github.com/worldval/worldval/validation/extended"
	"github.com/worldval/worldval/validation/policy"
)

// passSettings are the extended-layer settings of a pass under one policy:
// the policy's where its cohort, portfolio and live_monitoring blocks set
// them, else the service configuration's ([ExtendedConfig]). The world's
// policy wins so that two worlds under different policies are validated by
// their own constants, and a policy that sets none of them is validated as
// before the keys existed.
type passSettings struct {
	// params are the portfolio constants (O2, O15).
	params extended.Params
	// topKMetric ranks the cohort's top k (O3).
	topKMetric string
	// extremeSharpeMax is the extreme-Sharpe warning's limit (O4); nil: off.
	extremeSharpeMax *float64
	// liveESMax gates the mean live ES (O18); nil: off.
	liveESMax *float64
}

// settings returns the settings of a pass under pol (nil: the service's).
func (c *ExtendedConfig) settings(pol *policy.Policy) passSettings {
	s := passSettings{
		params:           portfolioParams(pol, c.Params),
		topKMetric:       c.TopKMetric,
		extremeSharpeMax: c.ExtremeSharpeMax,
		liveESMax:        liveESMax(pol, c.LiveESMax),
	}
	if pol != nil && pol.Cohort != nil {
		if m := pol.Cohort.TopKMetric; m != "" {
			s.topKMetric = m
		}
		if v := pol.Cohort.ExtremeSharpeMax; v != nil {
			s.extremeSharpeMax = v
		}
	}
	return s
}

// portfolioParams returns def with the portfolio constants pol's portfolio
// block sets (z_99, es_factor, default_correlation) in their place.
func portfolioParams(pol *policy.Policy, def extended.Params) extended.Params {
	if pol == nil || pol.Portfolio == nil {
		return def
	}
	p := def
	if v := pol.Portfolio.Z99; v != nil {
		p.Z = *v
	}
	if v := pol.Portfolio.ESFactor; v != nil {
		p.ESFactor = *v
	}
	if v := pol.Portfolio.DefaultCorrelation; v != nil {
		p.DefaultCorrelation = *v
	}
	return p
}

// liveESMax returns the live ES limit of pol's live_monitoring block, else
// def (the service's live_monitoring.es_max).
func liveESMax(pol *policy.Policy, def *float64) *float64 {
	if pol != nil && pol.LiveMonitoring != nil && pol.LiveMonitoring.ESMax != nil {
		return pol.LiveMonitoring.ESMax
	}
	return def
}
