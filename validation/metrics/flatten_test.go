package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// referenceFlatten is the oracle for Flatten: validation-core §5 written as
// directly as possible, with no attention to speed. Named blocks in their
// normative order, then other top-level keys sorted; inside an object its
// numeric leaves in key order, then its child objects in key order; every
// leaf registered under its dotted path and then its leaf name, the first
// registration of a name winning.
func referenceFlatten(doc map[string]any) map[string]float64 {
	out := map[string]float64{}
	register := func(name string, x float64) {
		if _, ok := out[name]; !ok {
			out[name] = x
		}
	}
	sortedKeys := func(m map[string]any) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	var walk func(path string, obj map[string]any)
	walk = func(path string, obj map[string]any) {
		keys := sortedKeys(obj)
		for _, k := range keys {
			if x, ok := Number(obj[k]); ok {
				register(path+"."+k, x)
				register(k, x)
			}
		}
		for _, k := range keys {
			if child, ok := obj[k].(map[string]any); ok {
				walk(path+"."+k, child)
			}
		}
	}
	top := func(k string) {
		v := doc[k]
		if x, ok := Number(v); ok {
			register(k, x)
			return
		}
		if obj, ok := v.(map[string]any); ok {
			walk(k, obj)
		}
	}
	blocks := []string{"returns", "sample", "risk", "robustness", "diagnostics", "benchmark", "stress"}
	for _, k := range blocks {
		if _, ok := doc[k]; ok {
			top(k)
		}
	}
	for _, k := range sortedKeys(doc) {
		if !contains(blocks, k) {
			top(k)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// sameFlat compares a table with the oracle's map exactly: the same names,
// and values equal bit for bit (so -0 and +0 differ). It reads the table
// through each of its methods: Len, Lookup, Names and Map.
func sameFlat(f *Flat, want map[string]float64) bool {
	if f.Len() != len(want) {
		return false
	}
	for k, x := range want {
		y, ok := f.Lookup(k)
		if !ok || math.Float64bits(x) != math.Float64bits(y) {
			return false
		}
	}
	names := f.Names()
	if len(names) != len(want) || !sort.StringsAreSorted(names) {
		return false
	}
	for i, k := range names {
		if _, ok := want[k]; !ok || i > 0 && names[i-1] == k {
			return false
		}
	}
	m := f.Map()
	if len(m) != len(want) {
		return false
	}
	for k, x := range want {
		if y, ok := m[k]; !ok || math.Float64bits(x) != math.Float64bits(y) {
			return false
		}
	}
	return true
}

// TestFlattenMatchesReference compares Flatten with the oracle on documents
// built to collide: leaf names repeated across blocks and depths, keys with
// dots that spell another leaf's dotted path, non-block top-level keys
// (numeric, dotted, object), and values Flatten must skip.
func TestFlattenMatchesReference(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := map[string]map[string]any{
		"nil":   nil,
		"empty": {},
		"bench": {
			"returns":     map[string]any{"sharpe": 0.12, "max_drawdown": 0.1},
			"sample":      map[string]any{"n_trades_total": 756.0, "regime_coverage": map[string]any{"low_vol": 0.3, "high_vol": 0.3}},
			"robustness":  map[string]any{"deflated_sharpe_ratio": 0.9},
			"diagnostics": map[string]any{"returns_source": "ws:derived", "extra_metrics": map[string]any{"vs_benchmark_sharpe": 0.02}},
		},
		"leaf repeated across blocks": {
			"returns":   map[string]any{"sharpe": 1.0, "max_drawdown": 0.2},
			"benchmark": map[string]any{"sharpe": 2.0, "max_drawdown": 0.3},
			"stress":    map[string]any{"crash": map[string]any{"max_drawdown": 0.5}, "flash": map[string]any{"max_drawdown": 0.6}},
			"zeta":      map[string]any{"sharpe": 3.0},
			"alpha":     map[string]any{"sharpe": 4.0},
		},
		"leaf repeated across depths": {
			"diagnostics": map[string]any{
				"b": map[string]any{"x": 1.0, "c": map[string]any{"x": 2.0}},
				"a": map[string]any{"d": map[string]any{"x": 3.0}},
				"x": 4.0,
			},
		},
		"dotted keys spell dotted paths": {
			"returns": map[string]any{"sharpe": 1.0, "returns.sharpe": 2.0, "a.b": 3.0, "a": map[string]any{"b": 4.0}},
			"risk":    map[string]any{"returns.sharpe": 5.0, "risk.x": 6.0, "x": 7.0},
			"sample":  map[string]any{"sample.y": 8.0, "y": 9.0, "z": map[string]any{"sample.z.w": 10.0, "w": 11.0}},
		},
		"dotted key sorts before its twin": {
			"risk": map[string]any{"risk.a": 1.0, "a": 2.0, "risk.a.b": 3.0, "a.b": 4.0},
		},
		"top-level keys with dots": {
			"returns.sharpe": 1.0,
			"returns":        map[string]any{"sharpe": 2.0},
			"sharpe":         3.0,
			"a.b":            map[string]any{"c": 4.0},
			"a":              map[string]any{"b.c": 5.0, "b": map[string]any{"c": 6.0}},
			"c":              7.0,
		},
		"non-block top-level keys": {
			"zzz":     1.0,
			"live":    map[string]any{"returns": map[string]any{"sharpe": 0.5}, "sharpe": 0.7},
			"aaa":     map[string]any{"live": 2.0},
			"returns": 3.0,
			"sample":  "text",
			"risk":    nil,
			"stress":  []any{1.0},
		},
		"numeric types": {
			"returns": map[string]any{
				"f64": 1.5, "f32": float32(2.5), "int": 3, "i64": int64(4), "i32": int32(5), "u64": uint64(6),
				"num": json.Number("7.25"), "bad": json.Number("x"), "huge": json.Number("1e400"),
				"nan_num": json.Number("NaN"), "u8": uint8(9), "neg0": math.Copysign(0, -1),
			},
			"n": json.Number("8"),
		},
		"skipped values": {
			"returns": map[string]any{
				"nan": nan, "inf": inf, "ninf": -inf, "t": true, "s": "1.0", "nil": nil, "arr": []any{1.0},
				"typed": map[string]float64{"x": 1}, "nilmap": map[string]any(nil), "ok": 1.0,
			},
			"x": nan,
		},
		"deep nesting": {
			"stress": map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": 1.0, "x": 1.0}, "x": 2.0}, "x": 3.0}}},
			"zz":     map[string]any{"a": map[string]any{"b": map[string]any{"x": 9.0}}},
		},
		"many children and leaves": manyKeys(),
		"crowded bucket":           crowdedBucket(),
	}
	for name, doc := range cases {
		got, want := Flatten(doc), referenceFlatten(doc)
		if !sameFlat(got, want) {
			t.Errorf("%s:\n got  %v\n want %v", name, got.Map(), want)
		}
	}
}

// crowdedBucket is a document whose names put more than maxChain in one
// bucket by length and last byte, leaves repeated across blocks among them:
// Flatten builds its table with hashed buckets.
func crowdedBucket() map[string]any {
	doc := map[string]any{}
	for _, block := range []string{"returns", "risk", "zz"} {
		obj := map[string]any{}
		for i := range 2 * maxChain {
			obj[fmt.Sprintf("m%02dx", i)] = float64(len(doc)*100 + i)
		}
		doc[block] = obj
	}
	if Flatten(doc).hashed == nil {
		panic("crowdedBucket: buckets not hashed")
	}
	return doc
}

// manyKeys is a document larger than Flatten's stack buffers, with long
// dotted paths and the same leaves in every child.
func manyKeys() map[string]any {
	doc := map[string]any{}
	for _, b := range []string{"returns", "diagnostics", "other"} {
		block := map[string]any{}
		for i := range 40 {
			child := map[string]any{}
			for j := range 30 {
				child[strings.Repeat("k", j+1)] = float64(i*100 + j)
			}
			block[strings.Repeat("c", i+1)] = child
			block[strings.Repeat("v", i+1)] = float64(i)
		}
		doc[b] = block
	}
	return doc
}

// FuzzFlatten builds a metrics document from the fuzz input and compares
// Flatten with the oracle. Keys come from a small alphabet rich in block
// names, repeated leaf names and dots, so that collisions are common.
func FuzzFlatten(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("returns sharpe benchmark sharpe"))
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte{9, 1, 9, 2, 17, 3, 17, 4, 25, 5, 1, 6, 200, 7, 8, 201, 9, 10, 33, 11, 41, 12})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := docGen{data: data}
		doc := g.object(0)
		got, want := Flatten(doc), referenceFlatten(doc)
		if !sameFlat(got, want) {
			t.Fatalf("doc %v:\n got  %v\n want %v", doc, got.Map(), want)
		}
	})
}

// docGen turns bytes into a nested document; it stops cleanly when the bytes
// run out.
type docGen struct {
	data []byte
}

func (g *docGen) next() (byte, bool) {
	if len(g.data) == 0 {
		return 0, false
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b, true
}

func (g *docGen) object(depth int) map[string]any {
	n, ok := g.next()
	if !ok {
		return map[string]any{}
	}
	obj := make(map[string]any, n%12)
	for range n % 12 {
		kb, ok := g.next()
		if !ok {
			break
		}
		// Block names, leaf names shared across blocks, and keys whose dots
		// spell other keys' dotted paths.
		keys := [...]string{
			"returns", "sample", "risk", "robustness", "diagnostics", "benchmark", "stress", "live",
			"sharpe", "max_drawdown", "x", "y", "a", "b", "a.b", "b.x",
			"returns.sharpe", "risk.x", "a.b.x", "sample.a", "stress.a.x", ".", "", "x.",
		}
		k := keys[int(kb)%len(keys)]
		if kb >= 192 {
			k += string(rune('a' + kb%5)) // a few keys outside the alphabet
		}
		obj[k] = g.value(depth)
	}
	return obj
}

func (g *docGen) value(depth int) any {
	b, ok := g.next()
	if !ok {
		return 1.0
	}
	x := float64(int8(b)) / 4
	switch b % 16 {
	case 0, 1, 2, 3:
		if depth < 4 {
			return g.object(depth + 1)
		}
		return x
	case 4:
		return math.NaN()
	case 5:
		return math.Inf(int(b%2)*2 - 1)
	case 6:
		return json.Number([...]string{"1.5", "x", "1e400", "NaN", "-0", "7"}[b%6])
	case 7:
		return int(b)
	case 8:
		return float32(x)
	case 9:
		return "s"
	case 10:
		return nil
	case 11:
		return []any{x}
	case 12:
		return b%2 == 0
	default:
		return x
	}
}

// TestFlattenCollisionOrder pins the first-registration rule on a case
// worked by hand, independently of the oracle.
func TestFlattenCollisionOrder(t *testing.T) {
	doc := map[string]any{
		"returns":   map[string]any{"sharpe": 1.0, "a.b": 2.0, "a": map[string]any{"b": 3.0}},
		"benchmark": map[string]any{"sharpe": 4.0},
		"a.b":       5.0,
	}
	want := map[string]float64{
		"returns.sharpe": 1.0, "sharpe": 1.0,
		"returns.a.b": 2.0, "a.b": 2.0, // the leaf a.b comes before the child a
		"b":                3.0,
		"benchmark.sharpe": 4.0,
	}
	if got := Flatten(doc).Map(); !reflect.DeepEqual(got, want) {
		t.Errorf("Flatten = %v, want %v", got, want)
	}
}

// TestBlockIndex: the switch in blockIndex agrees with blockOrder.
func TestBlockIndex(t *testing.T) {
	for i, b := range blockOrder {
		if got := blockIndex(b); got != i {
			t.Errorf("blockIndex(%q) = %d, want %d", b, got, i)
		}
	}
	for _, k := range []string{"", "live", "Returns", "returns ", "stres"} {
		if got := blockIndex(k); got != -1 {
			t.Errorf("blockIndex(%q) = %d, want -1", k, got)
		}
	}
}
