// Package jsonfast holds the reflection-free JSON fast paths the hot code
// of the service shares: a scanner of JSON's grammar, which validates a
// value, finds its end, tells what encoding/json would make of its bytes
// ([Form]) and splits an object into its members, and appenders that write
// strings, float64s and decoded documents exactly as encoding/json does.
//
// Every function here either gives encoding/json's answer — the same bytes,
// the same decision on validity — or declines (ok false), in which case the
// caller does the work through encoding/json, which reports its own errors.
// The scanner accepts a subset of what encoding/json accepts: valid JSON
// nested no deeper than a bound the caller chooses. The tests and fuzz
// targets of this package compare each function with encoding/json.
//
// The package imports only the standard library, so that any package of the
// module may use it.
package jsonfast
