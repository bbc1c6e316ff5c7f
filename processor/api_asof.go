package processor

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
)

// asOfParam is the query parameter that asks a GET for the state the system
// knew at an earlier instant.
const asOfParam = "as_of"

// readQuery parses the query string of r strictly: every parameter must be
// one of allowed and appear at most once. A violation is 400 E_BAD_REQUEST
// naming the parameter, so that a misspelt filter is not silently ignored.
func readQuery(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadRequest, err, "the query string is malformed")
	}
	for name, values := range q {
		if !slices.Contains(allowed, name) {
			return nil, errcode.New(errcode.BadRequest, "unknown query parameter %q (this resource accepts: %s)", name, strings.Join(allowed, ", ")).
				WithDetail("parameter", name)
		}
		if len(values) > 1 {
			return nil, errcode.New(errcode.BadRequest, "query parameter %q is given %d times; give it once", name, len(values)).
				WithDetail("parameter", name)
		}
	}
	return q, nil
}

// readAsOf reads a request whose only query parameter is the optional
// as_of: an unknown or repeated parameter is a 400, like a malformed time.
func readAsOf(r *http.Request) (time.Time, bool, error) {
	q, err := readQuery(r, asOfParam)
	if err != nil {
		return time.Time{}, false, err
	}
	return parseAsOf(q)
}

// parseAsOf returns the instant of ?as_of= (RFC 3339, fractional seconds
// optional) and whether the query has one. A malformed value is 400
// E_BAD_REQUEST naming the parameter.
//
// A literal "+" in a query string decodes to a space, so an unencoded offset
// such as 2026-01-01T00:00:00+02:00 arrives as "…00:00:00 02:00"; a space is
// never part of an RFC 3339 time, so it is read back as the "+" it was.
func parseAsOf(q url.Values) (time.Time, bool, error) {
	if !q.Has(asOfParam) {
		return time.Time{}, false, nil
	}
	raw := q.Get(asOfParam)
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(raw, " ", "+"))
	if err != nil {
		return time.Time{}, false, errcode.New(errcode.BadRequest, "as_of %q is not an RFC 3339 time (for example 2026-01-31T12:00:00Z)", raw).
			WithDetail("parameter", asOfParam)
	}
	return t, true, nil
}
