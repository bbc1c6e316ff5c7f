package projections

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// positionWidth is the width of zero-padded positions and revisions in keys
// and set members, so that byte order is numeric order (20 digits hold any
// uint64).
const positionWidth = 20

// pad renders n zero-padded to positionWidth digits.
func pad(n uint64) string {
	var b [positionWidth]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}

// esc escapes one identifier for use as a key component: "/" inside an id can
// never be read as a separator.
func esc(id string) string { return url.PathEscape(id) }

// key joins a projection name and components with "/". Components must
// already be escaped.
func key(name string, parts ...string) string {
	if len(parts) == 0 {
		return name + "/"
	}
	n := len(name) + len(parts)
	for _, p := range parts {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(name)
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(p)
	}
	return b.String()
}

// positionMember is a sorted-set member that orders runs by the global
// position of their submission: "<pad(pos)> <stream>".
func positionMember(pos uint64, stream string) string {
	return pad(pos) + " " + stream
}

// splitPositionMember inverts positionMember.
func splitPositionMember(m string) (pos uint64, stream string, err error) {
	p, s, ok := strings.Cut(m, " ")
	if !ok || len(p) != positionWidth {
		return 0, "", fmt.Errorf("malformed index member %q", m)
	}
	pos, err = strconv.ParseUint(p, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("malformed index member %q: %w", m, err)
	}
	return pos, s, nil
}
