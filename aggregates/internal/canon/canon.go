// Package canon writes JSON documents in one canonical byte form, so that two
// documents that mean the same thing hash the same: object keys sorted by
// byte order, no insignificant whitespace, strings re-escaped the way
// encoding/json writes them (without HTML escaping), and numbers kept exactly
// as written (1.0 and 1 stay different, because a caller wrote different
// requests). A duplicated object key keeps its last value, as encoding/json
// reads it.
package canon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// JSON returns the canonical form of the JSON document doc.
func JSON(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("canonical JSON: trailing data after the document")
	}
	var buf bytes.Buffer
	if err := write(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Marshal encodes v with encoding/json and returns its canonical form.
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	return JSON(b)
}

// Hash returns "sha256:" followed by the hex SHA-256 of the canonical form of
// doc.
func Hash(doc []byte) (string, error) {
	c, err := JSON(doc)
	if err != nil {
		return "", err
	}
	return Sum(c), nil
}

// Sum returns "sha256:" followed by the hex SHA-256 of c, which is already
// in canonical form (as [JSON] and [Marshal] return it): the same as [Hash]
// of c, without canonicalizing it again.
func Sum(c []byte) string {
	sum := sha256.Sum256(c)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func write(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			if err := write(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := write(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case string:
		writeString(buf, x)
	case json.Number:
		buf.WriteString(x.String())
	case bool:
		if x {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case nil:
		buf.WriteString("null")
	default:
		return fmt.Errorf("canonical JSON: unexpected %T", v)
	}
	return nil
}

// WriteString writes to buf the canonical form of the string encoding/json
// writes for s: what [Marshal] of a value holding s would put there. Invalid
// UTF-8 becomes U+FFFD byte by byte, as encoding/json coerces it.
func WriteString(buf *bytes.Buffer, s string) {
	if !utf8.ValidString(s) {
		s = coerceUTF8(s)
	}
	writeString(buf, s)
}

// AppendString is [WriteString] appending to dst.
func AppendString(dst []byte, s string) []byte {
	if plainASCII(s) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	var buf bytes.Buffer
	WriteString(&buf, s)
	return append(dst, buf.Bytes()...)
}

// coerceUTF8 replaces each byte of s that does not start a valid UTF-8
// sequence with U+FFFD, as encoding/json does when it encodes a string.
func coerceUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func writeString(buf *bytes.Buffer, s string) {
	if plainASCII(s) {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	buf.Truncate(buf.Len() - 1)
}

// plainASCII reports whether s is printable ASCII without a quote or a
// backslash: the strings encoding/json writes unchanged between quotes.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
