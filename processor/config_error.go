package processor

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// FieldError is one problem with one configuration key: an unknown key, a
// value of the wrong type, or a value that fails validation.
type FieldError struct {
	// Path is the key's full path, such as "auth.tokens[1].scopes[0]"; it is
	// empty for a problem with the document as a whole.
	Path string
	// File is the configuration file the value came from, or "" when it did
	// not come from a file.
	File string
	// Line is the 1-based line of the key or value in File, or 0 when
	// unknown.
	Line int
	// Env is the environment variable the value came from, or "".
	Env string
	// Msg says what is wrong, without the path.
	Msg string
}

// Error formats the problem as "file:line: path: msg" (or "ENV_VAR: path:
// msg"), leaving out the parts that are unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.Env != "":
		b.WriteString(e.Env + ": ")
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigError is every problem found in one configuration, in the order they
// were found (file order for the YAML file). Use [errors.As] with a
// [*FieldError] target to get the first, or range over Problems.
type ConfigError struct {
	// Problems lists each problem; it is never empty.
	Problems []*FieldError
}

// Error joins the problems on one line, separated by "; ".
func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return fmt.Sprintf("%d configuration problems: %s", len(parts), strings.Join(parts, "; "))
}

// Unwrap returns the problems, so that [errors.As] finds each [*FieldError].
func (e *ConfigError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// validator collects the problems of one Validate call.
type validator struct {
	problems []*FieldError
}

// add records a problem at path.
func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// merge records the problems of a component's Validate, whose paths are
// relative to the component's block at prefix.
func (v *validator) merge(prefix string, err error) {
	if err == nil {
		return
	}
	var ce *ConfigError
	if !errors.As(err, &ce) {
		v.add(prefix, "%v", err)
		return
	}
	for _, p := range ce.Problems {
		q := *p
		q.Path = joinPath(prefix, p.Path)
		v.problems = append(v.problems, &q)
	}
}

// err returns the collected problems as a [*ConfigError], or nil.
func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ConfigError{Problems: v.problems}
}

// joinPath appends a key or an index ("[2]") to a dotted path.
func joinPath(prefix, rest string) string {
	switch {
	case prefix == "":
		return rest
	case rest == "":
		return prefix
	case strings.HasPrefix(rest, "["):
		return prefix + rest
	default:
		return prefix + "." + rest
	}
}
