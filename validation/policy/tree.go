package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// kind is the type of a decoded document value.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kMap
	kList
)

// String names the kind as error messages do.
func (k kind) String() string {
	switch k {
	case kNull:
		return "null"
	case kBool:
		return "boolean"
	case kNumber:
		return "number"
	case kString:
		return "string"
	case kMap:
		return "mapping"
	default:
		return "list"
	}
}

// node is a format-neutral, order-preserving document value. YAML and JSON
// inputs are both decoded into it, so that one validator serves both.
type node struct {
	kind  kind
	b     bool
	num   float64 // kNumber; may be ±Inf or NaN for YAML .inf/.nan
	isInt bool    // kNumber written as an integer literal
	text  string  // kString value, or the literal text of a kNumber
	keys  []string
	vals  []*node // kMap values (parallel to keys) or kList items
}

// get returns the value of key in a mapping node, or nil.
func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// isNull reports whether n is absent or an explicit null; the spec treats both
// the same way everywhere.
func (n *node) isNull() bool { return n == nil || n.kind == kNull }

// errDuplicateKey reports a mapping that names the same key twice.
var errDuplicateKey = errors.New("duplicate key")

// syntaxError is a document that could not be decoded; path locates it when
// known.
type syntaxError struct {
	path string
	err  error
}

// Error returns the underlying decoder message.
func (e *syntaxError) Error() string { return e.err.Error() }

// decodeJSON decodes a JSON document into a node tree, keeping key order and
// number literals and rejecting duplicate keys and trailing data.
func decodeJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := jsonValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &syntaxError{err: errors.New("unexpected data after the JSON document")}
	}
	return n, nil
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 64

func jsonValue(dec *json.Decoder, path string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &syntaxError{path: path, err: errors.New("document nested too deeply")}
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &syntaxError{path: path, err: err}
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kNull}, nil
	case bool:
		return &node{kind: kBool, b: t}, nil
	case string:
		return &node{kind: kString, text: t}, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, &syntaxError{path: path, err: fmt.Errorf("number %s out of range", t)}
		}
		isInt := true
		for _, c := range string(t) {
			if c == '.' || c == 'e' || c == 'E' {
				isInt = false
			}
		}
		return &node{kind: kNumber, num: f, isInt: isInt, text: string(t)}, nil
	case json.Delim:
		if t == '[' {
			n := &node{kind: kList}
			for i := 0; dec.More(); i++ {
				v, err := jsonValue(dec, indexPath(path, i), depth+1)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			if err != nil {
				return nil, &syntaxError{path: path, err: err}
			}
			return n, nil
		}
		n := &node{kind: kMap}
		seen := make(map[string]bool)
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, &syntaxError{path: path, err: err}
			}
			key, _ := kt.(string)
			kp := childPath(path, key)
			if seen[key] {
				return nil, &syntaxError{path: kp, err: errDuplicateKey}
			}
			seen[key] = true
			v, err := jsonValue(dec, kp, depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, key)
			n.vals = append(n.vals, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, &syntaxError{path: path, err: err}
		}
		return n, nil
	}
	return nil, &syntaxError{path: path, err: fmt.Errorf("unexpected token %v", tok)}
}

// finite reports whether a number node holds a finite value.
func (n *node) finite() bool {
	return !math.IsNaN(n.num) && !math.IsInf(n.num, 0)
}
