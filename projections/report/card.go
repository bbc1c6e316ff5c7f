package report

import (
	"strings"
)

// cardKnown reports whether key is one of the model card keys the report
// reads into a section, in both spellings (the report generator's and the
// registry schema's, validation-core §12.2); every other key is shown as an
// extra.
func cardKnown(key string) bool {
	switch key {
	case "strategy_id", "model_card_version", "version", "scope", "mission", "objective", "description", "summary",
		"universe", "asset_universe", "features", "signals", "data_sources", "data", "data_overview",
		"assumptions", "key_assumptions", "limitations", "key_limitations", "risks":
		return true
	}
	return false
}

// card is a decoded model card.
type card struct {
	ms []member
}

// first returns the first non-empty text of the keys, in order.
func (c card) first(keys ...string) string {
	for _, k := range keys {
		if v, ok := get(c.ms, k); ok && !isNull(v) {
			if s := strings.Join(stringList(v), "; "); s != "" {
				return s
			}
			if s := strings.TrimSpace(text(v)); s != "" {
				return s
			}
		}
	}
	return ""
}

// all returns the entries of every key, in order.
func (c card) all(keys ...string) []string {
	var out []string
	for _, k := range keys {
		if v, ok := get(c.ms, k); ok {
			out = append(out, stringList(v)...)
		}
	}
	return out
}

// cardSections fills sections 1 and 2 and the card's known limitations.
func cardSections(mc *ModelCard) (Scope, ModelSummary, []string) {
	if mc == nil {
		return Scope{}, ModelSummary{}, nil
	}
	c := card{ms: members(mc.Document)}
	scope := Scope{
		Available: true,
		Scope:     c.first("scope", "mission"),
		Objective: c.first("objective", "description", "summary"),
		Universe:  c.first("universe", "asset_universe"),
	}
	m := ModelSummary{
		Card:        "model card " + mc.Version,
		Features:    c.all("features", "signals"),
		DataSources: c.all("data_sources", "data", "data_overview"),
		Assumptions: c.all("assumptions", "key_assumptions"),
		Limitations: c.all("limitations", "key_limitations", "risks"),
	}
	if mc.PublishedAt != "" {
		m.Card += ", published " + mc.PublishedAt
	}
	for _, f := range c.ms {
		if !cardKnown(f.Key) && !isNull(f.Value) {
			m.Extra = append(m.Extra, Fact{Label: f.Key, Value: strings.Join(stringListOrText(f), "; ")})
		}
	}
	return scope, m, m.Limitations
}

// fieldLabel renders a model card key as a label for a reader:
// "intended_use" becomes "Intended use".
func fieldLabel(key string) string {
	s := strings.TrimSpace(strings.ReplaceAll(key, "_", " "))
	if s == "" {
		return key
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// stringListOrText renders a card member as a list of strings when it is
// one, else as text.
func stringListOrText(f member) []string {
	if l := stringList(f.Value); l != nil {
		return l
	}
	return []string{text(f.Value)}
}
