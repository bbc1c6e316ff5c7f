package modelcard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// maxVersionLen bounds a card version, in bytes: it names a URL path
// segment.
const maxVersionLen = 128

// Problem is one defect of a model card: the field's path and what is
// wrong with it.
type Problem struct {
	// Path is the field's path, such as "key_assumptions[2]".
	Path string `json:"path"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// RequiredFields returns the minimum fields of a model card
// (validation-core §12.2), in the order problems name them. The version may
// also be spelled "version".
func RequiredFields() []string {
	return []string{"strategy_id", "model_card_version", "objective", "data_overview", "key_assumptions", "key_limitations"}
}

// Check validates a card document against the minimum fields of
// validation-core §12.2 and returns its version. strategy is the strategy
// the card is published for: the card's strategy_id must name it.
// pathVersion is a version the caller names outside the card ("" for none):
// the card's own version, when it has one, must equal it, and it stands in
// for a card without one. Missing fields come first in the problems, in
// [RequiredFields] order, then fields of the wrong type.
func Check(card []byte, strategy, pathVersion string) (version string, missing []string, problems []Problem) {
	if b := bytes.TrimSpace(card); len(b) == 0 || b[0] != '{' {
		return "", nil, []Problem{{Path: "", Message: "the model card must be a JSON object"}}
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(card, &doc); err != nil {
		return "", nil, []Problem{{Path: "", Message: "the model card is not valid JSON: " + err.Error()}}
	}
	var invalid []Problem
	bad := func(path, format string, args ...any) {
		invalid = append(invalid, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	present := func(name string) (json.RawMessage, bool) {
		v, ok := doc[name]
		return v, ok && string(bytes.TrimSpace(v)) != "null"
	}

	if v, ok := present("strategy_id"); !ok {
		missing = append(missing, "strategy_id")
	} else if s, isString := text(v); !isString || strings.TrimSpace(s) == "" {
		bad("strategy_id", "must be a non-empty string")
	} else if s != strategy {
		bad("strategy_id", "%q does not match the strategy %q the card is published for", s, strategy)
	}

	version = pathVersion
	cardVersion := ""
	for _, name := range [...]string{"model_card_version", "version"} {
		v, ok := present(name)
		if !ok {
			continue
		}
		s, valid := versionText(v)
		switch {
		case !valid:
			bad(name, "must be a non-empty string or a number")
		case cardVersion != "" && s != cardVersion:
			bad(name, "%q differs from model_card_version %q", s, cardVersion)
		default:
			cardVersion = s
		}
	}
	switch {
	case cardVersion != "" && pathVersion != "" && cardVersion != pathVersion:
		bad("model_card_version", "%q differs from the version %q in the path", cardVersion, pathVersion)
	case len(cardVersion) > maxVersionLen:
		bad("model_card_version", "is %d bytes long; at most %d are allowed", len(cardVersion), maxVersionLen)
	case cardVersion != "":
		version = cardVersion
	case pathVersion == "" && !hasAny(doc, "model_card_version", "version"):
		missing = append(missing, "model_card_version")
	}

	if v, ok := present("objective"); !ok {
		missing = append(missing, "objective")
	} else if s, isString := text(v); !isString || strings.TrimSpace(s) == "" {
		bad("objective", "must be a non-empty string")
	}
	if v, ok := present("data_overview"); !ok {
		missing = append(missing, "data_overview")
	} else if s, isString := text(v); isString {
		if strings.TrimSpace(s) == "" {
			bad("data_overview", "must be a non-empty string or a list of strings")
		}
	} else {
		checkStrings(v, "data_overview", bad)
	}
	for _, name := range [...]string{"key_assumptions", "key_limitations"} {
		if v, ok := present(name); !ok {
			missing = append(missing, name)
		} else {
			checkStrings(v, name, bad)
		}
	}
	for _, name := range missing {
		problems = append(problems, Problem{Path: name, Message: "is required (validation-core §12.2)"})
	}
	return version, missing, append(problems, invalid...)
}

// hasAny reports whether doc has any of the names, even as null.
func hasAny(doc map[string]json.RawMessage, names ...string) bool {
	for _, n := range names {
		if _, ok := doc[n]; ok {
			return true
		}
	}
	return false
}

// text decodes a JSON string.
func text(v json.RawMessage) (string, bool) {
	var s string
	err := json.Unmarshal(v, &s)
	return s, err == nil
}

// versionText renders a version given as a non-blank string or a number.
func versionText(v json.RawMessage) (string, bool) {
	if s, ok := text(v); ok {
		s = strings.TrimSpace(s)
		return s, s != ""
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err == nil {
		return n.String(), true
	}
	return "", false
}

// checkStrings reports a value at path that is not a list of strings.
func checkStrings(v json.RawMessage, path string, bad func(path, format string, args ...any)) {
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil || bytes.TrimSpace(v)[0] != '[' {
		bad(path, "must be a list of strings")
		return
	}
	for i, it := range items {
		if _, ok := text(it); !ok {
			bad(fmt.Sprintf("%s[%d]", path, i), "must be a string")
		}
	}
}
