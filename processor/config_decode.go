package processor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxProblems bounds how many problems one decode reports, so that a file of
// garbage yields a readable error.
const maxProblems = 50

// maxAliasDepth bounds how many YAML aliases may lead to one value.
const maxAliasDepth = 16

// maxNodes bounds how many nodes one decode visits. Aliases let a small file
// name the same large list many times over ("billion laughs"); a real
// configuration visits a few hundred.
const maxNodes = 1 << 20

// yamlDecoder decodes a YAML node tree into a Go value strictly: every key
// must name a field (by its yaml tag), every value must have the field's
// type, and each problem is recorded with its full key path and line.
//
// Supported field types: structs (mappings), slices (sequences), and string,
// bool, integer and [time.Duration] scalars (a duration is a string such as
// "10s"). A null value leaves a field unchanged, so that defaults apply.
type yamlDecoder struct {
	file     string
	problems []*FieldError
	visited  int
	stopped  bool
	// unknownHint returns extra words for an unknown key at path, or "".
	unknownHint func(path string) string
}

// decodeYAML decodes data, the contents of file, into out (a pointer to a
// struct). It returns nil or a [*ConfigError].
func decodeYAML(file string, data []byte, out any, unknownHint func(string) string) error {
	d := &yamlDecoder{file: file, unknownHint: unknownHint}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file: every default applies
		}
		return &ConfigError{Problems: []*FieldError{{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			line = 0
		}
		d.problems = append(d.problems, &FieldError{File: file, Line: line, Msg: "more than one YAML document; a configuration is one document"})
		return d.err()
	}
	if len(doc.Content) == 1 {
		d.value(doc.Content[0], reflect.ValueOf(out).Elem(), "", 0, true)
	}
	return d.err()
}

// err returns the recorded problems as a [*ConfigError], or nil.
func (d *yamlDecoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	return &ConfigError{Problems: d.problems}
}

// fail records a problem at path, located at n, and stops the decode once
// [maxProblems] are recorded.
func (d *yamlDecoder) fail(n *yaml.Node, path, format string, args ...any) {
	if d.stopped {
		return
	}
	d.problems = append(d.problems, &FieldError{File: d.file, Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
	if len(d.problems) == maxProblems {
		d.stop("too many problems; stopped looking")
	}
}

// stop records why the decode ends early and ends it.
func (d *yamlDecoder) stop(why string) {
	d.problems = append(d.problems, &FieldError{File: d.file, Msg: why})
	d.stopped = true
}

// value decodes n into v. nullKeeps says whether a null leaves v unchanged
// (a mapping value) rather than being a type error (a sequence element).
func (d *yamlDecoder) value(n *yaml.Node, v reflect.Value, path string, aliases int, nullKeeps bool) {
	if d.stopped {
		return
	}
	if d.visited++; d.visited > maxNodes {
		d.stop(fmt.Sprintf("more than %d values once aliases are expanded; stopped looking", maxNodes))
		return
	}
	if n.Kind == yaml.AliasNode {
		if aliases >= maxAliasDepth || n.Alias == nil {
			d.fail(n, path, "too many nested aliases")
			return
		}
		d.value(n.Alias, v, path, aliases+1, nullKeeps)
		return
	}
	if nullKeeps && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	switch {
	case isDuration(v.Type()):
		d.duration(n, v, path)
	case v.Kind() == reflect.Pointer:
		// An optional scalar (*float64): present means set, null or
		// absent leaves it nil.
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, v.Elem(), path, aliases, false)
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path, aliases)
	case v.Kind() == reflect.Slice:
		d.sequence(n, v, path, aliases)
	default:
		d.scalar(n, v, path)
	}
}

// mapping decodes a mapping node into the struct v.
func (d *yamlDecoder) mapping(n *yaml.Node, v reflect.Value, path string, aliases int) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "expected a key, got %s", describe(k))
			continue
		}
		p := joinPath(path, k.Value)
		if k.ShortTag() == "!!merge" {
			d.fail(k, p, "merge keys are not supported; write the keys out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, p, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			msg := "unknown key"
			if d.unknownHint != nil {
				if hint := d.unknownHint(p); hint != "" {
					msg += ": " + hint
				}
			}
			d.fail(k, p, "%s (known keys here: %s)", msg, knownKeys(v.Type()))
			continue
		}
		d.value(val, v.Field(idx), p, aliases, true)
	}
}

// sequence decodes a sequence node into the slice v.
func (d *yamlDecoder) sequence(n *yaml.Node, v reflect.Value, path string, aliases int) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a sequence, got %s", describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, elem := range n.Content {
		d.value(elem, out.Index(i), fmt.Sprintf("%s[%d]", path, i), aliases, false)
	}
	v.Set(out)
}

// duration decodes a string such as "10s" into the [time.Duration] v.
func (d *yamlDecoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.fail(n, path, "expected a duration such as \"10s\", got %s", describe(n))
		return
	}
	if msg := setScalar(v, n.Value); msg != "" {
		d.fail(n, path, "%s", msg)
	}
}

// scalar decodes a scalar node into the string, bool, integer or float v,
// insisting that the node's YAML type matches: 8080 is not a string, "true"
// is not a boolean. A float also takes an integer (1 is 1.0).
func (d *yamlDecoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	want := map[reflect.Kind]string{reflect.String: "!!str", reflect.Bool: "!!bool"}[v.Kind()]
	if v.CanInt() {
		want = "!!int"
	}
	if v.CanFloat() {
		want = "!!float"
	}
	if want == "" {
		d.fail(n, path, "field of type %s cannot be configured", v.Type())
		return
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != want && (want != "!!float" || n.ShortTag() != "!!int") {
		hint := ""
		if want == "!!str" && n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
			hint = " (quote it to make it a string)"
		}
		d.fail(n, path, "expected %s, got %s%s", tagWords(want), describe(n), hint)
		return
	}
	if msg := setScalar(v, n.Value); msg != "" {
		d.fail(n, path, "%s", msg)
	}
}

// setScalar parses text into the scalar v (string, bool, integer, float or
// duration kinds, or a pointer to one, which it allocates), as both YAML
// scalars and environment variables need. It returns "" on success and the
// problem otherwise.
func setScalar(v reflect.Value, text string) string {
	switch {
	case v.Kind() == reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if msg := setScalar(elem.Elem(), text); msg != "" {
			return msg
		}
		v.Set(elem)
	case v.CanFloat():
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprintf("%q is not a finite number", text)
		}
		v.SetFloat(f)
	case isDuration(v.Type()):
		dur, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Sprintf("%q is not a duration such as \"10s\" or \"1m30s\"", text)
		}
		v.SetInt(int64(dur))
	case v.Kind() == reflect.String:
		v.SetString(text)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.ToLower(text))
		if err != nil {
			return fmt.Sprintf("%q is not a boolean (true or false)", text)
		}
		v.SetBool(b)
	case v.CanInt():
		i, err := strconv.ParseInt(text, 0, 64)
		if err != nil || v.OverflowInt(i) {
			return fmt.Sprintf("%q is not an integer that fits %s", text, v.Type())
		}
		v.SetInt(i)
	default:
		return fmt.Sprintf("field of type %s cannot be configured", v.Type())
	}
	return ""
}

// yamlFields maps each yaml key of struct type t to its field index.
func yamlFields(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if key := yamlKey(t.Field(i)); key != "" {
			fields[key] = i
		}
	}
	return fields
}

// yamlKey is the configuration key of field f, or "" when f is not
// configurable (unexported, untagged, or tagged "-").
func yamlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if key == "-" {
		return ""
	}
	return key
}

// knownKeys lists the keys of struct type t in declaration order.
func knownKeys(t reflect.Type) string {
	var keys []string
	for i := range t.NumField() {
		if key := yamlKey(t.Field(i)); key != "" {
			keys = append(keys, key)
		}
	}
	return strings.Join(keys, ", ")
}

// describe names what n is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		tag := n.ShortTag()
		if tag == "!!null" {
			return "null"
		}
		value := n.Value
		if len(value) > 40 {
			value = value[:40] + "…"
		}
		return fmt.Sprintf("%s %q", tagWords(tag), value)
	}
	return "nothing"
}

// tagWords names a YAML core tag in words.
func tagWords(tag string) string {
	switch tag {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!timestamp":
		return "a timestamp"
	case "!!binary":
		return "binary data"
	case "!!null":
		return "null"
	}
	return "a value tagged " + tag
}

// isDuration reports whether t is [time.Duration], which is decoded from text
// such as "10s" rather than as the integer it is.
func isDuration(t reflect.Type) bool {
	return t == reflect.TypeFor[time.Duration]()
}
