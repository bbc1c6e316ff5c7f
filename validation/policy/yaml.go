package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the number of values a YAML document may expand to through
// aliases ("billion laughs").
const maxNodes = 100_000

// decodeYAML decodes a single YAML document into a node tree.
//
// Plain scalars are resolved with the YAML 1.2 core schema (so "0777" is the
// decimal 777, "1_000", "0b1", "yes" and "2001-01-01" are strings), not with
// the YAML 1.1 rules the yaml package applies when decoding into Go values.
// Anchors and aliases are expanded; the YAML 1.1 merge key "<<" is honoured
// (keys of the mapping itself win over merged ones, and earlier mappings of a
// merged list win over later ones), as PyYAML does for QMTL's policies.
func decodeYAML(data []byte) (*node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &syntaxError{err: errors.New("empty document")}
		}
		return nil, &syntaxError{err: err}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			return nil, &syntaxError{err: err}
		}
		return nil, &syntaxError{err: errors.New("more than one YAML document")}
	}
	c := yamlConverter{}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, &syntaxError{err: errors.New("empty document")}
		}
		root = root.Content[0]
	}
	return c.convert(root, nil, 0)
}

type yamlConverter struct {
	count int
}

// pathRef is a lazily rendered JSON path: the converter visits every value of
// a possibly alias-expanded document, so it only renders a path on error.
type pathRef struct {
	parent *pathRef
	key    string
	index  int // ≥ 0 for a list item
}

func (p *pathRef) child(key string) *pathRef { return &pathRef{parent: p, key: key, index: -1} }
func (p *pathRef) item(i int) *pathRef       { return &pathRef{parent: p, index: i} }

// String renders the path.
func (p *pathRef) String() string {
	if p == nil {
		return ""
	}
	if p.index >= 0 {
		return indexPath(p.parent.String(), p.index)
	}
	return childPath(p.parent.String(), p.key)
}

func (c *yamlConverter) convert(y *yaml.Node, ref *pathRef, depth int) (*node, error) {
	path := ref // rendered only on error
	c.count++
	if c.count > maxNodes {
		return nil, &syntaxError{path: path.String(), err: errors.New("document expands to too many values")}
	}
	if depth > maxDepth {
		return nil, &syntaxError{path: path.String(), err: errors.New("document nested too deeply")}
	}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, &syntaxError{path: path.String(), err: errors.New("unknown alias")}
		}
		return c.convert(y.Alias, path, depth+1)
	case yaml.ScalarNode:
		n, err := resolveScalar(y)
		if err != nil {
			return nil, &syntaxError{path: path.String(), err: err}
		}
		return n, nil
	case yaml.SequenceNode:
		n := &node{kind: kList, vals: make([]*node, 0, len(y.Content))}
		for i, item := range y.Content {
			v, err := c.convert(item, path.item(i), depth+1)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
		return n, nil
	case yaml.MappingNode:
		return c.mapping(y, path, depth)
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return &node{kind: kNull}, nil
		}
		return c.convert(y.Content[0], path, depth+1)
	}
	return nil, &syntaxError{path: path.String(), err: fmt.Errorf("unsupported YAML node kind %d", y.Kind)}
}

func (c *yamlConverter) mapping(y *yaml.Node, path *pathRef, depth int) (*node, error) {
	out := &node{kind: kMap}
	var merged *node
	own := make(map[string]bool, len(y.Content)/2)
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		for k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			return nil, &syntaxError{path: path.String(), err: errors.New("mapping keys must be scalars")}
		}
		if k.Tag == "!!merge" && k.Value == "<<" && k.Style&yaml.TaggedStyle == 0 {
			m, err := c.merge(v, path, depth)
			if err != nil {
				return nil, err
			}
			merged = m
			continue
		}
		kp := path.child(k.Value)
		if own[k.Value] {
			return nil, &syntaxError{path: kp.String(), err: errDuplicateKey}
		}
		own[k.Value] = true
		val, err := c.convert(v, kp, depth+1)
		if err != nil {
			return nil, err
		}
		out.keys = append(out.keys, k.Value)
		out.vals = append(out.vals, val)
	}
	if merged == nil {
		return out, nil
	}
	// Merged keys come first; the mapping's own keys override them in place.
	idx := indexOf(merged)
	for i, k := range out.keys {
		set(merged, idx, k, out.vals[i])
	}
	return merged, nil
}

// merge resolves the value of a "<<" key into one mapping.
func (c *yamlConverter) merge(v *yaml.Node, path *pathRef, depth int) (*node, error) {
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	var sources []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{v}
	case yaml.SequenceNode:
		sources = v.Content
	default:
		return nil, &syntaxError{path: path.child("<<").String(), err: errors.New("merge value must be a mapping or a list of mappings")}
	}
	out := &node{kind: kMap}
	idx := map[string]int{}
	for i := len(sources) - 1; i >= 0; i-- {
		m, err := c.convert(sources[i], path.child("<<"), depth+1)
		if err != nil {
			return nil, err
		}
		if m.kind != kMap {
			return nil, &syntaxError{path: path.child("<<").String(), err: errors.New("merge value must be a mapping or a list of mappings")}
		}
		for j, k := range m.keys {
			set(out, idx, k, m.vals[j])
		}
	}
	return out, nil
}

// indexOf maps the keys of a mapping node to their positions.
func indexOf(m *node) map[string]int {
	idx := make(map[string]int, len(m.keys))
	for i, k := range m.keys {
		idx[k] = i
	}
	return idx
}

// set assigns key in a mapping node, keeping the key's first position; idx
// is the node's key index and is kept up to date.
func set(m *node, idx map[string]int, key string, v *node) {
	if i, ok := idx[key]; ok {
		m.vals[i] = v
		return
	}
	idx[key] = len(m.keys)
	m.keys = append(m.keys, key)
	m.vals = append(m.vals, v)
}

// resolveScalar applies the YAML 1.2 core schema to a scalar node.
func resolveScalar(y *yaml.Node) (*node, error) {
	s := y.Value
	if y.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 && y.Style&yaml.TaggedStyle == 0 {
		return &node{kind: kString, text: s}, nil
	}
	if y.Style&yaml.TaggedStyle != 0 {
		switch y.Tag {
		case "!!str":
			return &node{kind: kString, text: s}, nil
		case "!!null":
			return &node{kind: kNull}, nil
		case "!!bool", "!!int", "!!float":
			n := resolvePlain(s)
			ok := (y.Tag == "!!bool" && n.kind == kBool) ||
				(y.Tag == "!!int" && n.kind == kNumber && n.isInt) ||
				(y.Tag == "!!float" && n.kind == kNumber)
			if !ok {
				return nil, fmt.Errorf("cannot read %q as %s", s, y.Tag)
			}
			return n, nil
		default:
			return nil, fmt.Errorf("unsupported tag %s", y.Tag)
		}
	}
	return resolvePlain(s), nil
}

// resolvePlain resolves an untagged plain scalar per the YAML 1.2 core schema.
func resolvePlain(s string) *node {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return &node{kind: kNull}
	case "true", "True", "TRUE":
		return &node{kind: kBool, b: true}
	case "false", "False", "FALSE":
		return &node{kind: kBool, b: false}
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return &node{kind: kNumber, num: math.Inf(1), text: s}
	case "-.inf", "-.Inf", "-.INF":
		return &node{kind: kNumber, num: math.Inf(-1), text: s}
	case ".nan", ".NaN", ".NAN":
		return &node{kind: kNumber, num: math.NaN(), text: s}
	}
	if isDecimalInt(s) {
		f, _ := strconv.ParseFloat(s, 64)
		return &node{kind: kNumber, num: f, isInt: true, text: s}
	}
	if len(s) > 2 && (strings.HasPrefix(s, "0o") && allIn(s[2:], "01234567") ||
		strings.HasPrefix(s, "0x") && allIn(s[2:], "0123456789abcdefABCDEF")) {
		base := 8
		if s[1] == 'x' {
			base = 16
		}
		v, _ := new(big.Int).SetString(s[2:], base)
		f, _ := new(big.Float).SetInt(v).Float64()
		return &node{kind: kNumber, num: f, isInt: true, text: s}
	}
	if isCoreFloat(s) {
		f, _ := strconv.ParseFloat(s, 64) // a range error yields ±Inf, rejected later
		return &node{kind: kNumber, num: f, text: s}
	}
	return &node{kind: kString, text: s}
}

func allIn(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// isDecimalInt matches [-+]?[0-9]+.
func isDecimalInt(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return s != "" && digits(s) == len(s)
}

// isCoreFloat matches [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?.
func isCoreFloat(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	if s[0] == '.' {
		n := digits(s[1:])
		if n == 0 {
			return false
		}
		s = s[1+n:]
	} else {
		n := digits(s)
		if n == 0 {
			return false
		}
		s = s[n:]
		if s != "" && s[0] == '.' {
			s = s[1+digits(s[1:]):]
		}
	}
	if s == "" {
		return true
	}
	if s[0] != 'e' && s[0] != 'E' {
		return false
	}
	s = s[1:]
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return s != "" && digits(s) == len(s)
}
