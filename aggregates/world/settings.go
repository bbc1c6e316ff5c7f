package world

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
)

// Problem is one invalid field of a settings document: its JSON path and
// what is wrong with it.
type Problem struct {
	// Path is the field's dotted path, such as "risk_profile.tier".
	Path string `json:"path"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// UpdateSettings is the command that replaces a world's settings.
type UpdateSettings struct {
	// Meta carries the idempotency key (required), the time and the actor.
	// Its Index is ignored.
	Meta events.Meta
	// Settings is the new record; WorldID is required. Tier and modes are
	// recorded trimmed and lower-cased (see [Normalize]).
	Settings events.WorldSettingsUpdated
}

// Normalize returns s as it is recorded: the tier and the validation modes
// trimmed and lower-cased.
func Normalize(s events.WorldSettingsUpdated) events.WorldSettingsUpdated {
	if s.RiskProfile != nil {
		rp := *s.RiskProfile
		rp.Tier = strings.ToLower(strings.TrimSpace(rp.Tier))
		s.RiskProfile = &rp
	}
	if s.Validation != nil {
		v := *s.Validation
		v.OnError = strings.ToLower(strings.TrimSpace(v.OnError))
		v.OnMissingMetric = strings.ToLower(strings.TrimSpace(v.OnMissingMetric))
		s.Validation = &v
	}
	return s
}

// CheckSettings returns the problems of normalized settings: a tier other
// than high, medium or low; a capital-at-risk budget outside 0…100 percent;
// an on_error other than fail or warn; an on_missing_metric other than fail,
// warn or ignore. Empty values mean unset and are accepted.
func CheckSettings(s events.WorldSettingsUpdated) []Problem {
	var ps []Problem
	if rp := s.RiskProfile; rp != nil {
		switch rp.Tier {
		case "", "high", "medium", "low":
		default:
			ps = append(ps, Problem{"risk_profile.tier", fmt.Sprintf("%q is not a tier (want high, medium or low)", rp.Tier)})
		}
		if p := rp.MaxCapitalAtRiskPct; p != nil && (math.IsNaN(*p) || *p < 0 || *p > 100) {
			ps = append(ps, Problem{"risk_profile.max_capital_at_risk_pct", fmt.Sprintf("must be a percentage from 0 to 100, got %v", *p)})
		}
	}
	if v := s.Validation; v != nil {
		switch v.OnError {
		case "", "fail", "warn":
		default:
			ps = append(ps, Problem{"validation.on_error", fmt.Sprintf("%q is not an on_error mode (want fail or warn)", v.OnError)})
		}
		switch v.OnMissingMetric {
		case "", "fail", "warn", "ignore":
		default:
			ps = append(ps, Problem{"validation.on_missing_metric", fmt.Sprintf("%q is not an on_missing_metric mode (want fail, warn or ignore)", v.OnMissingMetric)})
		}
	}
	return ps
}

// UpdateSettings decides a change of settings: one WorldSettingsUpdated
// with the normalized record. Settings equal to the current ones (whoever
// sends them) and a retried command yield no events; invalid settings are
// E_VALIDATION naming each field.
func (w *World) UpdateSettings(reg *events.Registry, cmd UpdateSettings) ([]events.Event, error) {
	s := Normalize(cmd.Settings)
	switch {
	case cmd.Meta.IdempotencyKey == "":
		return nil, errcode.New(errcode.Validation, "the settings update has no idempotency key")
	case w.keys[cmd.Meta.IdempotencyKey]:
		return nil, nil
	case s.WorldID == "":
		return nil, errcode.New(errcode.Validation, "world_id is required")
	case w.settings != nil && s.WorldID != w.settings.WorldID:
		return nil, errcode.New(errcode.Validation, "settings for world %q sent to the stream of world %q", s.WorldID, w.settings.WorldID)
	}
	if ps := CheckSettings(s); len(ps) > 0 {
		msg := fmt.Sprintf("the world settings are invalid: %s: %s", ps[0].Path, ps[0].Message)
		if len(ps) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(ps)-1)
		}
		return nil, (&errcode.Error{Code: errcode.Validation, Message: msg}).WithDetail("problems", ps)
	}
	if w.settings != nil {
		same, err := sameSettings(*w.settings, s)
		if err != nil {
			return nil, err
		}
		if same {
			return nil, nil
		}
	}
	meta := cmd.Meta
	meta.Index = 0
	ev, err := reg.New(s, meta)
	if err != nil {
		return nil, fmt.Errorf("world %s settings: %w", s.WorldID, err)
	}
	return []events.Event{ev}, nil
}

// sameSettings reports whether two records hold the same settings, whoever
// set them.
func sameSettings(a, b events.WorldSettingsUpdated) (bool, error) {
	a.UpdatedBy, b.UpdatedBy = "", ""
	ja, err := events.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("compare world settings: %w", err)
	}
	jb, err := events.Marshal(b)
	if err != nil {
		return false, fmt.Errorf("compare world settings: %w", err)
	}
	return bytes.Equal(ja, jb), nil
}
