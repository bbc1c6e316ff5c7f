package processor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/worldval/worldval/aggregates/errcode"
)

// readBody reads the whole request body, refusing one above limit bytes with
// a [*http.MaxBytesError] (413 through [apiErrorOf]) and a Content-Type that
// is not one of types (415); a request without a Content-Type is read as the
// first of types.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, types ...string) ([]byte, string, error) {
	mediaType := types[0]
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !acceptsMediaType(types, mt) {
			return nil, "", errcode.New(errcode.UnsupportedMediaType, "Content-Type %q is not supported here; send one of %s", ct, strings.Join(types, ", ")).
				WithDetail("supported", types)
		}
		mediaType = mt
	}
	if r.ContentLength > limit {
		return nil, "", &http.MaxBytesError{Limit: limit}
	}
	body, err := readAllSized(http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, "", err
		}
		return nil, "", errcode.Wrap(errcode.BadRequest, err, "the request body could not be read")
	}
	return body, mediaType, nil
}

// readAllSized is io.ReadAll for a body that announced its length: it reads
// into one buffer of that size rather than growing one from 512 bytes (a
// submission of a year of returns took five allocations, twice its size in
// all). A body longer than announced still reads whole; size <= 0 (unknown)
// is io.ReadAll.
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	// One byte more, so that the read which meets the end has room.
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// acceptsMediaType reports whether mt is one of types; application/json also
// accepts any structured-syntax "+json" type.
func acceptsMediaType(types []string, mt string) bool {
	for _, t := range types {
		if mt == t || (t == "application/json" && strings.HasSuffix(mt, "+json")) {
			return true
		}
	}
	return false
}

// jsonMember is one member of a JSON object, in document order.
type jsonMember struct {
	name  string
	value json.RawMessage
}

// decodeObject reads body as exactly one JSON object and returns its members
// in document order. Malformed JSON is E_BAD_REQUEST naming the byte offset;
// a value that is not an object, or an object with a repeated member name, is
// E_VALIDATION naming the path.
func decodeObject(body []byte) ([]jsonMember, error) {
	if members, ok := splitObject(body); ok {
		return members, nil
	}
	return decodeObjectTokens(body)
}

// decodeObjectTokens is decodeObject through encoding/json's tokenizer, for
// every body splitObject declines.
func decodeObjectTokens(body []byte) ([]jsonMember, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errcode.New(errcode.BadRequest, "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, malformedJSON(err, dec)
	}
	if tok != json.Delim('{') {
		var ps problems
		ps.add("", "the body must be a JSON object")
		return nil, ps.err("the request is invalid")
	}
	var members []jsonMember
	seen := map[string]bool{}
	var ps problems
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformedJSON(err, dec)
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, malformedJSON(err, dec)
		}
		if seen[name] {
			ps.add(name, "appears more than once")
			continue
		}
		seen[name] = true
		members = append(members, jsonMember{name: name, value: v})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, malformedJSON(err, dec)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errcode.New(errcode.BadRequest, "malformed JSON: unexpected data after the object at byte %d", dec.InputOffset())
	}
	if err := ps.err("the request is invalid"); err != nil {
		return nil, err
	}
	return members, nil
}

// malformedJSON describes a JSON syntax error with its byte offset.
func malformedJSON(err error, dec *json.Decoder) error {
	var se *json.SyntaxError
	offset := dec.InputOffset()
	if errors.As(err, &se) {
		offset = se.Offset
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errcode.New(errcode.BadRequest, "malformed JSON: unexpected end of the body").WithDetail("offset", offset)
	}
	return errcode.New(errcode.BadRequest, "malformed JSON at byte %d: %v", offset, err).WithDetail("offset", offset)
}

// problem is one defect of a request body: the path of the offending field
// (dotted, with [i] for array elements, as in "returns[3]" or
// "metrics.returns.sharpe"; "" for the whole body) and what is wrong with it.
type problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// problems collects the defects of one request body, so that a 422 lists all
// of them at once.
type problems []problem

// add records a problem at path.
func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// concern reports whether a problem was recorded at one of the fields or
// below it.
func (ps problems) concern(fields ...string) bool {
	for _, p := range ps {
		for _, f := range fields {
			if p.Path == f || strings.HasPrefix(p.Path, f+".") || strings.HasPrefix(p.Path, f+"[") {
				return true
			}
		}
	}
	return false
}

// err returns nil when no problem was recorded, and otherwise an
// E_VALIDATION error whose message names the first problem and whose details
// list them all under "problems".
func (ps problems) err(summary string) error {
	if len(ps) == 0 {
		return nil
	}
	first := ps[0].Message
	if ps[0].Path != "" {
		first = ps[0].Path + ": " + first
	}
	msg := summary + ": " + first
	if len(ps) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(ps)-1)
	}
	return (&errcode.Error{Code: errcode.Validation, Message: msg}).WithDetail("problems", []problem(ps))
}

// isNull reports whether a raw JSON value is null.
func isNull(v json.RawMessage) bool {
	return string(bytes.TrimSpace(v)) == "null"
}

// jsonKind names the kind of a raw JSON value for messages: "a string",
// "a number", "an object", ….
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// stringValue decodes a JSON string at path; null and absence are "", false.
func stringValue(ps *problems, path string, v json.RawMessage) (string, bool) {
	if isNull(v) {
		return "", false
	}
	var s string
	if jsonKind(v) != "a string" || json.Unmarshal(v, &s) != nil {
		ps.add(path, "must be a string, got %s", jsonKind(v))
		return "", false
	}
	return s, true
}

// intValue decodes a JSON integer at path; null is 0, false.
func intValue(ps *problems, path string, v json.RawMessage) (int, bool) {
	if isNull(v) {
		return 0, false
	}
	var n int
	if jsonKind(v) != "a number" || json.Unmarshal(v, &n) != nil {
		ps.add(path, "must be an integer, got %s", describeJSON(v))
		return 0, false
	}
	return n, true
}

// describeJSON renders a raw value for a message: its text when short, else its
// kind.
func describeJSON(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) <= 40 && jsonKind(v) != "an object" && jsonKind(v) != "an array" {
		return string(v)
	}
	return jsonKind(v)
}
