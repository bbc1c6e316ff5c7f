package processor

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/world"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// commandUpdateWorldSettings is the command type of a settings change in
// worldval_commands_ingested_total.
const commandUpdateWorldSettings = "UpdateWorldSettings"

// worldRecord is a world's settings as the world aggregate holds them.
type worldRecord struct {
	settings events.WorldSettingsUpdated
	found    bool
	version  uint64
}

// highTierCritical reports whether the world is high-tier critical
// (validation-core §1); a world without settings is not.
func (w worldRecord) highTierCritical() bool {
	return w.found && world.HighTierCritical(w.settings)
}

// worldSettings loads a world's settings from its own stream, so that
// decisions (fail-closed publication, review windows) rest on the event
// store rather than on a read model that may lag.
func (a *api) worldSettings(ctx context.Context, worldID string) (worldRecord, error) {
	stream, err := events.WorldStream(worldID)
	if err != nil {
		return worldRecord{}, nil // no stream can hold settings for this id
	}
	snap, err := aggregates.Load[world.World](ctx, a.repo, stream)
	if err != nil {
		return worldRecord{}, fmt.Errorf("world settings of %s: %w", worldID, err)
	}
	s, found := snap.State.Settings()
	return worldRecord{settings: s, found: found, version: snap.Version}, nil
}

// riskProfileJSON is a risk_profile as the API answers it, every key present.
type riskProfileJSON struct {
	Tier                *string  `json:"tier"`
	MaxCapitalAtRiskPct *float64 `json:"max_capital_at_risk_pct"`
	ClientCritical      bool     `json:"client_critical"`
}

// validationModesJSON is a world-level validation block as the API answers
// it, every key present.
type validationModesJSON struct {
	OnError         *string `json:"on_error"`
	OnMissingMetric *string `json:"on_missing_metric"`
}

// worldSettingsResponse is the answer of GET and PUT
// /worlds/{world}/settings: the world record of validation-core §6.7, whether
// it makes the world high-tier critical, and the settings' version (the
// world stream's version, 0 before any settings).
type worldSettingsResponse struct {
	WorldID          string               `json:"world_id"`
	RiskProfile      *riskProfileJSON     `json:"risk_profile"`
	ClientCritical   bool                 `json:"client_critical"`
	Validation       *validationModesJSON `json:"validation"`
	AllowLive        *bool                `json:"allow_live"`
	HighTierCritical bool                 `json:"high_tier_critical"`
	Version          uint64               `json:"version"`
	UpdatedBy        string               `json:"updated_by,omitempty"`
}

// settingsResponse renders a world record.
func settingsResponse(worldID string, w worldRecord) worldSettingsResponse {
	out := worldSettingsResponse{WorldID: worldID, HighTierCritical: w.highTierCritical(), Version: w.version}
	if !w.found {
		return out
	}
	s := w.settings
	out.ClientCritical, out.AllowLive, out.UpdatedBy = s.ClientCritical, s.AllowLive, s.UpdatedBy
	if rp := s.RiskProfile; rp != nil {
		out.RiskProfile = &riskProfileJSON{Tier: nonEmpty(rp.Tier), MaxCapitalAtRiskPct: rp.MaxCapitalAtRiskPct, ClientCritical: rp.ClientCritical}
	}
	if v := s.Validation; v != nil {
		out.Validation = &validationModesJSON{OnError: nonEmpty(v.OnError), OnMissingMetric: nonEmpty(v.OnMissingMetric)}
	}
	return out
}

// nonEmpty returns nil for "" and a pointer to s otherwise.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// getWorldSettings answers GET /worlds/{world}/settings: the world's
// settings; a world whose settings were never set answers the empty record
// (version 0), not 404, as every reader treats it (validation-core §10.7).
func (a *api) getWorldSettings(w http.ResponseWriter, r *http.Request) error {
	if _, err := readQuery(r); err != nil {
		return err
	}
	id := r.PathValue("world")
	rec, err := a.worldSettings(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsResponse(id, rec))
	return nil
}

// putWorldSettings answers PUT /worlds/{world}/settings: the body replaces
// the world's settings (risk_profile {tier, max_capital_at_risk_pct,
// client_critical}, client_critical, validation {on_error,
// on_missing_metric}, allow_live; each optional) and the answer is 200 with
// the record. Settings equal to the current ones append nothing. An invalid
// body is 422 E_VALIDATION naming each field, and appends nothing.
//
// The settings are accepted even when they break Invariant 2 (a high-tier
// critical world without a fail-closed validation block): the invariant
// report is where that shows, and evaluation forces fail-closed for such a
// world regardless (validation-core §10.4).
func (a *api) putWorldSettings(w http.ResponseWriter, r *http.Request) (err error) {
	duplicate := false
	defer func() { a.countCommand(commandUpdateWorldSettings, duplicate, err) }()

	id := r.PathValue("world")
	body, _, err := readBody(w, r, a.maxBody, "application/json")
	if err != nil {
		return err
	}
	s, err := parseWorldSettings(id, body)
	if err != nil {
		return err
	}
	var ps problems
	clientKey := checkKey(&ps, "", r.Header.Get("Idempotency-Key"))
	if err := ps.err("the request is invalid"); err != nil {
		return err
	}
	stream, err := events.WorldStream(id)
	if err != nil {
		return errcode.Wrap(errcode.Validation, err, "world_id cannot name a world stream")
	}
	if clientKey == "" {
		clientKey = "gen:" + rand.Text()
	}
	principal, _ := PrincipalFrom(r.Context())
	s.UpdatedBy = principal
	cmd := world.UpdateSettings{
		Meta:     events.Meta{IdempotencyKey: commandUpdateWorldSettings + ":" + stream + ":" + clientKey, OccurredAt: a.now().UTC(), Actor: principal},
		Settings: s,
	}
	res, err := aggregates.Update(r.Context(), a.repo, stream, func(st *world.World) ([]events.Event, error) {
		return st.UpdateSettings(a.reg, cmd)
	})
	if err != nil {
		return err
	}
	duplicate = res.Duplicate
	a.models.waitFor(r.Context(), res.Position, a.readYourWrites, projections.InvariantsName)
	rec, err := a.worldSettings(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsResponse(id, rec))
	return nil
}

// parseWorldSettings decodes a settings body strictly and validates its
// values; every problem is reported at once, as E_VALIDATION naming each
// field. An id or world_id member must name the world of the path.
func parseWorldSettings(id string, body []byte) (events.WorldSettingsUpdated, error) {
	members, err := decodeObject(body)
	if err != nil {
		return events.WorldSettingsUpdated{}, err
	}
	var ps problems
	checkID(&ps, "world_id", id)
	s := events.WorldSettingsUpdated{WorldID: id}
	for _, m := range members {
		switch m.name {
		case "id", "world_id":
			if v, ok := stringValue(&ps, m.name, m.value); ok && v != id {
				ps.add(m.name, "%q is not the world %q of the path", v, id)
			}
		case "risk_profile":
			s.RiskProfile = parseRiskProfile(&ps, m.name, m.value)
		case "client_critical":
			s.ClientCritical, _ = boolValue(&ps, m.name, m.value)
		case "validation":
			s.Validation = parseWorldValidation(&ps, m.name, m.value)
		case "allow_live":
			if b, ok := boolValue(&ps, m.name, m.value); ok {
				s.AllowLive = &b
			}
		default:
			ps.add(m.name, "unknown field (world settings have risk_profile, client_critical, validation and allow_live)")
		}
	}
	s = world.Normalize(s)
	for _, p := range world.CheckSettings(s) {
		if !ps.concern(p.Path) {
			ps = append(ps, problem(p))
		}
	}
	if err := ps.err("the world settings are invalid"); err != nil {
		return events.WorldSettingsUpdated{}, err
	}
	return s, nil
}

// parseRiskProfile decodes a risk_profile object (null: none).
func parseRiskProfile(ps *problems, path string, v json.RawMessage) *events.WorldRiskProfile {
	if isNull(v) {
		return nil
	}
	members, ok := nestedObject(ps, path, v, "tier, max_capital_at_risk_pct and client_critical")
	if !ok {
		return nil
	}
	rp := &events.WorldRiskProfile{}
	for _, m := range members {
		p := path + "." + m.name
		switch m.name {
		case "tier":
			rp.Tier, _ = stringValue(ps, p, m.value)
		case "max_capital_at_risk_pct":
			if isNull(m.value) {
				continue
			}
			x, err := finiteNumber(m.value)
			if err != nil {
				ps.add(p, "%v", err)
				continue
			}
			rp.MaxCapitalAtRiskPct = &x
		case "client_critical":
			rp.ClientCritical, _ = boolValue(ps, p, m.value)
		default:
			ps.add(p, "unknown field (a risk_profile has tier, max_capital_at_risk_pct and client_critical)")
		}
	}
	return rp
}

// parseWorldValidation decodes a world-level validation object (null:
// none).
func parseWorldValidation(ps *problems, path string, v json.RawMessage) *events.WorldValidation {
	if isNull(v) {
		return nil
	}
	members, ok := nestedObject(ps, path, v, "on_error and on_missing_metric")
	if !ok {
		return nil
	}
	out := &events.WorldValidation{}
	for _, m := range members {
		p := path + "." + m.name
		switch m.name {
		case "on_error":
			out.OnError, _ = stringValue(ps, p, m.value)
		case "on_missing_metric":
			out.OnMissingMetric, _ = stringValue(ps, p, m.value)
		default:
			ps.add(p, "unknown field (a validation block has on_error and on_missing_metric)")
		}
	}
	return out
}

// nestedObject decodes the object at path, whose members are described by
// fields for the message when it is not one.
func nestedObject(ps *problems, path string, v json.RawMessage, fields string) ([]jsonMember, bool) {
	if jsonKind(v) != "an object" {
		ps.add(path, "must be an object with %s, got %s", fields, jsonKind(v))
		return nil, false
	}
	members, err := decodeObject(v)
	if err != nil {
		ps.add(path, "must not repeat a member")
		return nil, false
	}
	return members, true
}

// boolValue decodes a JSON boolean at path; null is false, false.
func boolValue(ps *problems, path string, v json.RawMessage) (bool, bool) {
	if isNull(v) {
		return false, false
	}
	var b bool
	if jsonKind(v) != "a boolean" || json.Unmarshal(v, &b) != nil {
		ps.add(path, "must be true or false, got %s", describeJSON(v))
		return false, false
	}
	return b, true
}
