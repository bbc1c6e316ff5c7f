package jsonfast

// Form records what a scanned value holds that encoding/json would write
// differently from its bytes. Each bit is one such thing, found anywhere in
// the value (nested values and member names included); the zero Form is a
// value that json.Marshal of its decoding (numbers as json.Number) writes
// back unchanged. Callers ask the question they have through the methods.
type Form uint8

const (
	// Spaced is whitespace between tokens, which compaction removes.
	Spaced Form = 1 << iota
	// Escaped is an escape sequence in a string.
	Escaped
	// BadUTF8 is invalid UTF-8 in a string, which encoding/json decodes to
	// U+FFFD.
	BadUTF8
	// HTML is '<', '>', '&', U+2028 or U+2029 in a string, which
	// json.Marshal escapes (U+2028 and U+2029 only with HTML escaping on).
	HTML
	// Unsorted is an object whose member names, as written, are not in
	// strictly ascending byte order (a repeated name included).
	Unsorted
)

// Compact reports whether encoding/json writes the value unchanged when it
// writes it as a json.RawMessage: no whitespace between tokens and, when
// escapeHTML is set (json.Marshal; an Encoder with SetEscapeHTML(false)
// clears it), nothing in a string that HTML escaping rewrites.
func (f Form) Compact(escapeHTML bool) bool {
	if escapeHTML {
		return f&(Spaced|HTML) == 0
	}
	return f&Spaced == 0
}

// Plain reports whether every string in the value decodes to the text
// between its quotes: no escapes, valid UTF-8.
func (f Form) Plain() bool { return f&(Escaped|BadUTF8) == 0 }

// Canonical reports whether json.Marshal of the value decoded into an any,
// numbers as json.Number, writes it back unchanged: compact even with HTML
// escaping, its strings plain and without anything json.Marshal escapes,
// the names of each object in strictly ascending order.
func (f Form) Canonical() bool { return f == 0 }
