package jsonfast

// Member is one member of a scanned JSON object. Its slices share the
// scanned text.
type Member struct {
	// Name is the member name's text between its quotes, as written: the
	// decoded name when NameForm is plain ([Form.Plain]).
	Name []byte
	// NameForm is the [Form] of the name's string literal.
	NameForm Form
	// Value is the member's value as written, without the whitespace
	// around it.
	Value []byte
	// Form is the [Form] of Value.
	Form Form
}

// AppendMembers appends to dst the members of b, in document order, when b
// holds exactly one JSON object and nothing else but whitespace around it,
// and the object nests at most maxDepth deep (the object itself is at depth
// 1). Repeated names are kept as they come; what to make of them is the
// caller's decision. ok is false for any other b, and dst is then returned
// as it was. Callers pass a small array of their own as dst, which covers
// most objects without allocating.
func AppendMembers(dst []Member, b []byte, maxDepth int) (_ []Member, ok bool) {
	i := SkipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return dst, false
	}
	s := scanner{b: b, maxDepth: maxDepth}
	end, _, ms, ok := s.object(i, 1, dst, true)
	if !ok || SkipSpace(b, end) != len(b) {
		return dst, false
	}
	return ms, true
}
