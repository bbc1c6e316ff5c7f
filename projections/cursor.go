package projections

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// cursorVersion prefixes every cursor, so that a later format can be told
// apart from this one.
const cursorVersion = "c1:"

// encodeCursor makes an opaque paging cursor from a resume point (the last
// index member returned).
func encodeCursor(last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + last))
}

// decodeCursor returns the resume point of a cursor ("" for no cursor), or an
// error wrapping [ErrInvalidCursor].
func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidCursor, err)
	}
	last, ok := strings.CutPrefix(string(b), cursorVersion)
	if !ok || last == "" {
		return "", fmt.Errorf("%w: unknown format", ErrInvalidCursor)
	}
	return last, nil
}

// after returns the smallest string greater than s: where a range resumes
// after the member s.
func after(s string) string { return s + "\x00" }
