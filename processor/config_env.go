package processor

import (
	"reflect"
	"strings"
)

// EnvPrefix starts the name of every environment variable that overrides a
// configuration key. The rest of the name is the key's path in upper case
// with dots as underscores: http.read_timeout is
// WORLDVAL_HTTP_READ_TIMEOUT.
const EnvPrefix = "WORLDVAL_"

// configKey is one configurable key of [Config].
type configKey struct {
	// path is the dotted key path, as in "http.read_timeout".
	path string
	// env is the overriding environment variable, or "" for a list and the
	// keys of its elements, which no single variable can express.
	env string
	// index leads from Config to the field, for reflect's FieldByIndex; nil
	// for the keys of list elements.
	index []int
	// typ is the field's type.
	typ reflect.Type
}

// configKeys lists every key of [Config] that holds a value, lists and the
// keys of their elements included, in declaration order: the keys
// docs/configuration.md documents.
func configKeys() []configKey {
	return collectKeys(reflect.TypeFor[Config](), "", nil)
}

// collectKeys lists the value keys under struct type t at prefix.
func collectKeys(t reflect.Type, prefix string, index []int) []configKey {
	var keys []configKey
	for i := range t.NumField() {
		f := t.Field(i)
		key := yamlKey(f)
		if key == "" {
			continue
		}
		path := joinPath(prefix, key)
		idx := append(append([]int(nil), index...), i)
		switch {
		case f.Type.Kind() == reflect.Struct && !isDuration(f.Type):
			keys = append(keys, collectKeys(f.Type, path, idx)...)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			// A list of strings (kafka.brokers): its variable holds the
			// items separated by commas. Inside a list element (scopes)
			// the variable is dropped below, like every element key's.
			keys = append(keys, configKey{path: path, env: envName(path), index: idx, typ: f.Type})
		case f.Type.Kind() == reflect.Slice:
			keys = append(keys, configKey{path: path, index: idx, typ: f.Type})
			if elem := f.Type.Elem(); elem.Kind() == reflect.Struct {
				// The keys of each element, as "auth.tokens[].principal":
				// documented, but set by no environment variable.
				for _, k := range collectKeys(elem, path+"[]", nil) {
					keys = append(keys, configKey{path: k.path, typ: k.typ})
				}
			}
		default:
			keys = append(keys, configKey{path: path, env: envName(path), index: idx, typ: f.Type})
		}
	}
	return keys
}

// envName derives the environment variable of a key path.
func envName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// applyEnv overrides cfg's keys with the environment variables that getenv
// returns non-empty. It returns nil or a [*ConfigError] naming each
// variable whose value does not parse.
func applyEnv(cfg *Config, getenv func(string) string) error {
	root := reflect.ValueOf(cfg).Elem()
	var problems []*FieldError
	for _, k := range configKeys() {
		if k.env == "" {
			continue
		}
		text := getenv(k.env)
		if text == "" {
			continue
		}
		if k.typ.Kind() == reflect.Slice {
			root.FieldByIndex(k.index).Set(reflect.ValueOf(splitList(text)).Convert(k.typ))
			continue
		}
		if msg := setScalar(root.FieldByIndex(k.index), text); msg != "" {
			problems = append(problems, &FieldError{Env: k.env, Path: k.path, Msg: msg})
		}
	}
	if len(problems) > 0 {
		return &ConfigError{Problems: problems}
	}
	return nil
}

// splitList splits the value of a list's environment variable at commas,
// trimming white space and dropping empty items.
func splitList(text string) []string {
	var out []string
	for _, item := range strings.Split(text, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
