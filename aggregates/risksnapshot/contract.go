package risksnapshot

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
)

// Defaults of the contract's configuration (spec §7.1).
const (
	// DefaultTTLSec is the ttl_sec of a snapshot that names none.
	DefaultTTLSec = 900
	// DefaultTTLSecMax is the largest ttl_sec accepted.
	DefaultTTLSecMax = 86400
)

// weightTolerance is the accepted distance of the weight sum from 1 (D2):
// the documented 1e-3, plus 1e-9 so that the band is symmetric in binary64.
const weightTolerance = 1e-3 + 1e-9

// maxWorldLen bounds the length of a world id, in bytes.
const maxWorldLen = 256

// Contract is the configuration the snapshot contract depends on. The zero
// value is not usable; fill it from the risk_hub configuration block.
type Contract struct {
	// TTLSecDefault is the ttl_sec of a snapshot that names none (≥ 1).
	TTLSecDefault int64
	// TTLSecMax is the largest ttl_sec accepted (≥ TTLSecDefault).
	TTLSecMax int64
	// AllowedActors, when not empty, is the exact, case-sensitive list of
	// actors allowed to publish.
	AllowedActors []string
	// AllowedStages, when not empty, is the exact, case-sensitive list of
	// stages snapshots may carry.
	AllowedStages []string
}

// Input is one snapshot as an ingress received it.
type Input struct {
	// World is the world of the request path (HTTP). On Kafka ingress it is
	// the message key, or "" to take data.world_id alone.
	World string
	// Body is the snapshot JSON object (the HTTP body, or CloudEvents data).
	Body []byte
	// Kafka selects the Kafka-ingress rules: no headers (actor and stage
	// come from provenance), the wire fields event_version and
	// idempotency_key tolerated, and a producer created_at honoured (D4).
	Kafka bool
	// HeaderActor and HeaderStage are X-Actor and X-Stage (HTTP only).
	HeaderActor, HeaderStage string
}

// knownField reports whether name is a top-level member of the snapshot
// contract (D14); kafka adds the wire fields QMTL mixes into the data.
func knownField(name string, kafka bool) bool {
	switch name {
	case "world_id", "as_of", "version", "weights", "covariance", "covariance_ref",
		"realized_returns", "realized_returns_ref", "stress", "stress_ref", "constraints",
		"ttl_sec", "provenance", "hash", "created_at":
		return true
	case "event_version", "idempotency_key":
		return kafka
	}
	return false
}

// invalid returns a contract failure: 422 E_SNAPSHOT_INVALID with the spec's
// message.
func invalid(format string, args ...any) *errcode.Error {
	return errcode.New(errcode.SnapshotInvalid, format, args...)
}

// badRequest returns a header or path failure: 400 E_BAD_REQUEST.
func badRequest(msg string) *errcode.Error {
	return errcode.New(errcode.BadRequest, "%s", msg)
}

// Parse runs the checks of spec §2.2 in their order and returns the
// normalized snapshot with its hash. On HTTP: X-Actor and X-Stage present
// (400 E_BAD_REQUEST "missing actor header" / "missing stage header"), the
// body is a JSON object (422), a non-empty body world_id equals the path (400
// "world_id mismatch"), then the contract (422 E_SNAPSHOT_INVALID with the
// spec's message; "hash mismatch" is E_SNAPSHOT_HASH_MISMATCH). The first
// failing check decides. Parse does no I/O and reads no clock.
func (c *Contract) Parse(in Input) (*Snapshot, error) {
	if !in.Kafka {
		if in.HeaderActor == "" {
			return nil, badRequest("missing actor header")
		}
		if in.HeaderStage == "" {
			return nil, badRequest("missing stage header")
		}
	}
	doc, err := parseJSON(in.Body)
	if err != nil {
		return nil, invalid("snapshot is not valid JSON: %v", err)
	}
	if doc.kind != kindObject {
		return nil, invalid("snapshot must be a JSON object")
	}
	if w, ok := doc.get("world_id"); ok && truthy(w) && (w.kind != kindString || w.s != in.World) {
		if !in.Kafka {
			return nil, badRequest("world_id mismatch")
		}
		if in.World != "" {
			return nil, invalid("world_id mismatch")
		}
	}
	return c.contract(&doc, in)
}

// truthy reports whether v is true in Python's sense (the router's
// mismatch test): a non-empty string, array or object, a non-zero number,
// true.
func truthy(v *value) bool {
	switch v.kind {
	case kindBool:
		return v.b
	case kindString:
		return v.s != ""
	case kindArray:
		return len(v.arr) > 0
	case kindObject:
		return len(v.obj) > 0
	case kindNumber:
		f, ok := v.float()
		return !ok || f != 0
	}
	return false
}

// contract runs step 5 of §2.2 on a parsed object.
func (c *Contract) contract(doc *value, in Input) (*Snapshot, error) {
	names := make([]string, 0, len(doc.obj))
	for _, m := range doc.obj {
		names = append(names, m.name)
	}
	slices.Sort(names)
	for _, n := range names {
		if !knownField(n, in.Kafka) {
			return nil, invalid("unknown field %s", n)
		}
	}
	member := func(name string) *value {
		if v, ok := doc.get(name); ok && !v.isNull() {
			return v
		}
		return nil
	}
	s := &Snapshot{}

	// world_id
	s.WorldID = in.World
	if in.Kafka && s.WorldID == "" {
		if w := member("world_id"); w != nil && w.kind == kindString {
			s.WorldID = w.s
		}
	}
	if s.WorldID == "" {
		return nil, invalid("world_id is required")
	}
	if msg := checkWorld(s.WorldID); msg != "" {
		return nil, invalid("%s", msg)
	}

	// as_of
	asOf := member("as_of")
	if asOf == nil || asOf.kind != kindString || asOf.s == "" {
		return nil, invalid("as_of is required")
	}
	instant, err := ParseTimestamp(asOf.s)
	if err != nil {
		return nil, invalid("invalid as_of timestamp: %s", asOf.s)
	}
	s.AsOf, s.AsOfInstant = asOf.s, instant

	// version
	version := member("version")
	if version == nil || version.kind != kindString || version.s == "" {
		return nil, invalid("version is required")
	}
	s.Version = version.s

	// weights
	if s.Weights, err = parseWeights(member("weights")); err != nil {
		return nil, err
	}

	// ttl_sec
	if s.TTLSec, err = c.parseTTL(member("ttl_sec")); err != nil {
		return nil, err
	}

	// realized_returns_ref, realized_returns
	if s.RealizedReturnsRef, err = parseRef(member("realized_returns_ref"), "realized_returns_ref"); err != nil {
		return nil, err
	}
	if rr := member("realized_returns"); rr != nil {
		var msg string
		if s.RealizedReturns, msg = parseRealized(rr); msg != "" {
			return nil, invalid("%s", msg)
		}
	}

	// covariance, covariance_ref, stress, stress_ref, constraints: the
	// [PROPOSAL] checks of §2.8 and the finiteness rule of D1, in the
	// order of the field table.
	if s.Covariance, err = parseCovariance(member("covariance")); err != nil {
		return nil, err
	}
	if s.CovarianceRef, err = parseRef(member("covariance_ref"), "covariance_ref"); err != nil {
		return nil, err
	}
	if s.Stress, err = parseFreeObject(member("stress"), "stress"); err != nil {
		return nil, err
	}
	if s.StressRef, err = parseRef(member("stress_ref"), "stress_ref"); err != nil {
		return nil, err
	}
	if s.Constraints, err = parseFreeObject(member("constraints"), "constraints"); err != nil {
		return nil, err
	}

	// provenance, actor, stage
	if err := c.parseProvenance(s, member("provenance"), in); err != nil {
		return nil, err
	}

	// created_at: server-assigned on HTTP (ignored), honoured on Kafka.
	if ca := member("created_at"); ca != nil && in.Kafka {
		if ca.kind != kindString {
			return nil, invalid("invalid created_at timestamp: %s", canonicalFree(ca))
		}
		if s.CreatedAt, err = ParseTimestamp(ca.s); err != nil {
			return nil, invalid("invalid created_at timestamp: %s", ca.s)
		}
	}

	// hash
	computed, err := s.ComputeHash()
	if err != nil {
		return nil, invalid("%v", err)
	}
	s.Hash = computed
	if h := member("hash"); h != nil {
		if h.kind != kindString {
			return nil, invalid("hash must be a string when provided")
		}
		if h.s != "" && h.s != computed {
			return nil, errcode.New(errcode.SnapshotHashMismatch, "hash mismatch").
				WithDetail("computed", computed)
		}
	}
	return s, nil
}

// checkWorld returns why world cannot be a world id, or "".
func checkWorld(world string) string {
	switch {
	case len(world) > maxWorldLen:
		return fmt.Sprintf("world_id is longer than %d bytes", maxWorldLen)
	case !utf8.ValidString(world):
		return "world_id is not valid UTF-8"
	case strings.IndexFunc(world, unicode.IsControl) >= 0:
		return "world_id contains control characters"
	}
	if _, err := events.RiskSnapshotStream(world); err != nil {
		return "world_id cannot name a stream"
	}
	return ""
}

// parseWeights validates weights (D2): a non-empty object of finite JSON
// numbers whose sum, taken in ascending key order, is positive and within
// 1e-3 (+1e-9) of 1.
func parseWeights(v *value) (map[string]float64, error) {
	if v == nil || v.kind != kindObject || len(v.obj) == 0 {
		return nil, invalid("weights are required")
	}
	out := make(map[string]float64, len(v.obj))
	for i := range v.obj {
		f, ok := v.obj[i].val.float()
		if !ok {
			return nil, invalid("weights must be numeric")
		}
		out[v.obj[i].name] = f
	}
	sum := 0.0
	for _, k := range sortedKeys(out) {
		sum += out[k]
	}
	if !(sum > 0) || math.Abs(sum-1) > weightTolerance {
		return nil, invalid("weights must sum to ~1.0")
	}
	return out, nil
}

// parseTTL validates ttl_sec (D3): absent or null takes the default; else a
// JSON integer literal in [1, TTLSecMax].
func (c *Contract) parseTTL(v *value) (int64, error) {
	if v == nil {
		return c.TTLSecDefault, nil
	}
	if !v.isIntegerLiteral() {
		return 0, invalid("ttl_sec must be an integer")
	}
	n, err := strconv.ParseInt(v.s, 10, 64)
	switch {
	case err != nil && strings.HasPrefix(v.s, "-"), err == nil && n <= 0:
		return 0, invalid("ttl_sec must be positive")
	case err != nil, n > c.TTLSecMax:
		return 0, invalid("ttl_sec must be <= %d", c.TTLSecMax)
	}
	return n, nil
}

// parseRef validates an optional reference: null is absent, anything else
// must be a string that is not blank; it is stored trimmed.
func parseRef(v *value, name string) (string, error) {
	if v == nil {
		return "", nil
	}
	if v.kind != kindString || pyStrip(v.s) == "" {
		return "", invalid("%s must be a non-empty string when provided", name)
	}
	return pyStrip(v.s), nil
}

// parseCovariance validates inline covariance ([PROPOSAL] §2.8): an object
// of finite JSON numbers with a non-negative diagonal ("a,a" or "a:a"). An
// empty object is absent.
func parseCovariance(v *value) (map[string]float64, error) {
	if v == nil {
		return nil, nil
	}
	if v.kind != kindObject {
		return nil, invalid("covariance must be an object")
	}
	if len(v.obj) == 0 {
		return nil, nil
	}
	out := make(map[string]float64, len(v.obj))
	for i := range v.obj {
		k := v.obj[i].name
		f, ok := v.obj[i].val.float()
		if !ok {
			return nil, invalid("covariance[%s] must be a finite number", k)
		}
		if f < 0 && isDiagonal(k) {
			return nil, invalid("covariance[%s] is a negative variance", k)
		}
		out[k] = f
	}
	return out, nil
}

// isDiagonal reports whether a covariance key names a variance: "a,a" or
// "a:a".
func isDiagonal(k string) bool {
	for _, sep := range [...]string{",", ":"} {
		if a, b, ok := strings.Cut(k, sep); ok && a == b {
			return true
		}
	}
	return false
}

// parseFreeObject validates a free-form object member (stress,
// constraints): null and {} are absent; anything else must be an object
// whose numbers are all finite. It returns the canonical form.
func parseFreeObject(v *value, name string) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	if v.kind != kindObject {
		return nil, invalid("%s must be an object", name)
	}
	if !checkFree(v) {
		return nil, invalid("%s contains non-finite value", name)
	}
	if len(v.obj) == 0 {
		return nil, nil
	}
	return canonicalFree(v), nil
}

// parseProvenance merges the header actor and stage into provenance and
// checks them (§2.6): a payload value must equal its header; then actor and
// stage must be non-empty and allow-listed.
func (c *Contract) parseProvenance(s *Snapshot, v *value, in Input) error {
	prov := value{kind: kindObject, obj: []member{}}
	if v != nil {
		if v.kind != kindObject {
			return invalid("provenance must be an object")
		}
		if !checkFree(v) {
			return invalid("provenance contains non-finite value")
		}
		prov = *v
		prov.obj = slices.Clone(v.obj)
	}
	stringOf := func(name string) (string, bool, bool) { // value, present, is a string
		m, ok := prov.get(name)
		if !ok || m.isNull() {
			return "", false, false
		}
		return m.s, true, m.kind == kindString
	}
	set := func(name, val string) {
		if m, ok := prov.get(name); ok {
			*m = value{kind: kindString, s: val}
			return
		}
		prov.obj = append(prov.obj, member{name: name, val: value{kind: kindString, s: val}})
	}
	if !in.Kafka {
		for _, h := range [...]struct{ name, header string }{{"actor", in.HeaderActor}, {"stage", in.HeaderStage}} {
			if got, present, isString := stringOf(h.name); present && (!isString || got != h.header) {
				return invalid("%s mismatch between payload and header", h.name)
			}
			set(h.name, h.header)
		}
	}
	actor, _, isString := stringOf("actor")
	if !isString || actor == "" {
		return invalid("actor is required")
	}
	if len(c.AllowedActors) > 0 && !slices.Contains(c.AllowedActors, actor) {
		return invalid("actor '%s' not allowed", actor)
	}
	stage, _, isString := stringOf("stage")
	if !isString || stage == "" {
		return invalid("stage is required")
	}
	if len(c.AllowedStages) > 0 && !slices.Contains(c.AllowedStages, stage) {
		return invalid("stage '%s' not allowed", stage)
	}
	s.Actor, s.Stage, s.Provenance = actor, stage, canonicalFree(&prov)
	return nil
}
