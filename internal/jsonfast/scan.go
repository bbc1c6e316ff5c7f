package jsonfast

// MaxDepth is the nesting of arrays and objects that [AppendCompact] and
// [AppendAny] follow, and that callers of the scanner without a bound of
// their own pass; deeper documents are left to encoding/json, whose limit
// is 10,000 (and which detects cycles in what it encodes).
const MaxDepth = 256

// SkipSpace returns the index of the first byte of b at or after i that is
// not JSON whitespace (space, tab, line feed, carriage return).
func SkipSpace(b []byte, i int) int {
	// Every whitespace byte is at most ' ': one comparison settles the
	// usual case, a token right at i.
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// Value scans the JSON value that starts at b[i], without whitespace before
// it, and returns the index just past it and its [Form]. ok is false when no
// valid value starts there, or when it nests arrays and objects more than
// maxDepth deep (an array or object at b[i] is at depth 1).
func Value(b []byte, i, maxDepth int) (end int, f Form, ok bool) {
	s := scanner{b: b, maxDepth: maxDepth}
	return s.value(i, 0)
}

// Number scans the number that starts at b[i] and returns the index just
// past it; ok is false when none in JSON's grammar starts there:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func Number(b []byte, i int) (end int, ok bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && '1' <= b[j] && b[j] <= '9':
		j = skipDigits(b, j)
	default:
		return 0, false
	}
	if j < len(b) && b[j] == '.' {
		k := skipDigits(b, j+1)
		if k == j+1 {
			return 0, false
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := skipDigits(b, j)
		if k == j {
			return 0, false
		}
		j = k
	}
	return j, true
}

// skipDigits returns the index of the first byte of b at or after i that is
// not a decimal digit.
func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// scanner scans one JSON text, following arrays and objects at most
// maxDepth deep.
type scanner struct {
	b        []byte
	maxDepth int
}

// value scans the value at b[i], inside containers depth deep.
func (s scanner) value(i, depth int) (end int, f Form, ok bool) {
	b := s.b
	if i >= len(b) {
		return 0, 0, false
	}
	switch b[i] { // cases of single bytes, which compile to a jump table
	case '"':
		return String(b, i)
	case '{':
		end, f, _, ok := s.object(i, depth+1, nil, false)
		return end, f, ok
	case '[':
		return s.array(i, depth+1)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		end, ok := Number(b, i)
		return end, 0, ok
	case 't':
		return s.literal(i, "true")
	case 'f':
		return s.literal(i, "false")
	case 'n':
		return s.literal(i, "null")
	}
	return 0, 0, false
}

// literal scans the literal lit at b[i].
func (s scanner) literal(i int, lit string) (end int, f Form, ok bool) {
	if len(s.b)-i < len(lit) || string(s.b[i:i+len(lit)]) != lit {
		return 0, 0, false
	}
	return i + len(lit), 0, true
}

// object scans the object at b[i] ('{'), depth deep, appending its members
// to ms when collect is set.
func (s scanner) object(i, depth int, ms []Member, collect bool) (end int, f Form, _ []Member, ok bool) {
	b := s.b
	if depth > s.maxDepth {
		return 0, 0, nil, false
	}
	j := SkipSpace(b, i+1)
	if j != i+1 {
		f |= Spaced
	}
	if j < len(b) && b[j] == '}' {
		return j + 1, f, ms, true
	}
	var prev []byte
	for n := 0; ; n++ {
		if j >= len(b) || b[j] != '"' {
			return 0, 0, nil, false
		}
		kend, kf, ok := String(b, j)
		if !ok {
			return 0, 0, nil, false
		}
		name := b[j+1 : kend-1]
		f |= kf
		if n > 0 && f&Unsorted == 0 && !ascending(prev, name) {
			f |= Unsorted
		}
		prev = name
		k := SkipSpace(b, kend)
		if k >= len(b) || b[k] != ':' {
			return 0, 0, nil, false
		}
		v := SkipSpace(b, k+1)
		if k != kend || v != k+1 {
			f |= Spaced
		}
		vend, vf, ok := s.value(v, depth)
		if !ok {
			return 0, 0, nil, false
		}
		f |= vf
		if collect {
			ms = append(ms, Member{Name: name, NameForm: kf, Value: b[v:vend], Form: vf})
		}
		k = SkipSpace(b, vend)
		if k != vend {
			f |= Spaced
		}
		if k >= len(b) {
			return 0, 0, nil, false
		}
		switch b[k] {
		case '}':
			return k + 1, f, ms, true
		case ',':
			j = SkipSpace(b, k+1)
			if j != k+1 {
				f |= Spaced
			}
		default:
			return 0, 0, nil, false
		}
	}
}

// ascending reports whether a sorts before b in byte order. Names are
// short and mostly differ early, so a loop over their bytes beats a call.
func ascending(a, b []byte) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// array scans the array at b[i] ('['), depth deep.
func (s scanner) array(i, depth int) (end int, f Form, ok bool) {
	b := s.b
	if depth > s.maxDepth {
		return 0, 0, false
	}
	j := SkipSpace(b, i+1)
	if j != i+1 {
		f |= Spaced
	}
	if j < len(b) && b[j] == ']' {
		return j + 1, f, true
	}
	for {
		vend, vf, ok := s.value(j, depth)
		if !ok {
			return 0, 0, false
		}
		f |= vf
		k := SkipSpace(b, vend)
		if k != vend {
			f |= Spaced
		}
		if k >= len(b) {
			return 0, 0, false
		}
		switch b[k] {
		case ']':
			return k + 1, f, true
		case ',':
			j = SkipSpace(b, k+1)
			if j != k+1 {
				f |= Spaced
			}
		default:
			return 0, 0, false
		}
	}
}
