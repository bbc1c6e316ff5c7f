package processor

import (
	"encoding/json"

	"github.com/worldval/worldval/internal/jsonfast"
)

// Every request and command body goes through decodeObject, whose
// token-by-token reading through encoding/json scans each value twice and
// dominates the cost of a submission of a few kilobytes. splitObject reads
// the usual body — one object of distinct members with plain names — in one
// pass of jsonfast's scanner, which accepts a subset of what encoding/json
// accepts (valid JSON nested at most splitMaxDepth deep). For anything else
// it declines, and decodeObject's reading through encoding/json decides,
// with its own errors and problems.

// Bounds of what splitObject reads; other bodies are left to encoding/json.
const (
	// splitMaxDepth bounds the nesting (encoding/json's limit is 10,000).
	splitMaxDepth = jsonfast.MaxDepth
	// splitMaxMembers bounds the members of the object, whose names are
	// compared pairwise.
	splitMaxMembers = 64
)

// splitObject returns the members of body when it is exactly one JSON object,
// possibly surrounded by JSON whitespace, whose member names are distinct and
// hold no escapes, control characters or invalid UTF-8: the members
// decodeObject would return, in document order, each value as written
// without the whitespace around it. ok is false for any other body.
func splitObject(body []byte) (members []jsonMember, ok bool) {
	var buf [16]jsonfast.Member
	found, ok := jsonfast.AppendMembers(buf[:0], body, splitMaxDepth)
	if !ok || len(found) > splitMaxMembers {
		return nil, false
	}
	if len(found) == 0 {
		return nil, true
	}
	size := 0
	for _, m := range found {
		if !m.NameForm.Plain() {
			return nil, false
		}
		size += len(m.Value)
	}
	// The values are copies, as encoding/json's are: a body may be a buffer
	// its reader reuses. They share one allocation, each capped at its end.
	own := make([]byte, 0, size)
	members = make([]jsonMember, len(found))
	for k, m := range found {
		name := string(m.Name)
		for _, prev := range members[:k] {
			if prev.name == name {
				return nil, false // repeated: decodeObject reports it
			}
		}
		start := len(own)
		own = append(own, m.Value...)
		members[k] = jsonMember{name: name, value: json.RawMessage(own[start:len(own):len(own)])}
	}
	return members, true
}
