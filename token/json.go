package token

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// A small strict JSON scanner for headers and claims sets. Unlike
// encoding/json it rejects duplicate member names at any depth, invalid UTF-8
// and lone surrogates (in names and in the string values it decodes), bounds
// nesting, and hands back raw values without reflection, so each token is
// decoded once.

// maxDepth bounds the nesting of JSON values in a header or claims set.
const maxDepth = 16

var errJSON = fmt.Errorf("%w: invalid JSON", ErrMalformed)

// object reads the members of a JSON object one at a time, as subslices of
// data. Being an iterator (a callback would make every buffer it sees escape)
// whose recursion passes positions, not slices, it lets a caller decode into
// a stack buffer that stays on the stack.
type object struct {
	data  []byte
	i     int
	depth int
	names nameSet
	open  bool // past the first member
}

// readObject starts reading the JSON object that must be the whole of data
// (surrounding whitespace allowed) and checks that data is valid UTF-8.
func readObject(data []byte) (object, error) {
	if !utf8.Valid(data) {
		return object{}, fmt.Errorf("%w: not UTF-8", ErrMalformed)
	}
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return object{}, errJSON
	}
	return object{data: data, i: i + 1}, nil
}

// member is one member of an object: its unescaped name and raw value, and
// where the value starts in the data.
type member struct {
	name, value []byte
	at          int
}

// next returns the next member; ok is false after the last one. It enforces
// RFC 8259 grammar, unique names and nesting up to maxDepth; at the top
// level, nothing may follow the object.
func (o *object) next() (m member, ok bool, err error) {
	n, v, ok, err := o.member()
	if !ok || err != nil {
		return member{}, false, err
	}
	m = member{value: o.data[v.start:v.end], at: v.start}
	if !n.esc {
		m.name = o.data[n.start+1 : n.end-1]
	} else if m.name, err = unescape(o.data[n.start:n.end]); err != nil {
		return member{}, false, err
	}
	return m, true, nil
}

// span is a part of the data being scanned, by position. The recursive
// scanners pass positions, not subslices, so that escape analysis can keep
// the caller's buffer on the stack.
type span struct {
	start, end int
	esc        bool // a string literal with escapes
}

// member scans the next member: the span of its name literal (quotes
// included) and of its raw value.
func (o *object) member() (name, value span, ok bool, err error) {
	data := o.data
	i := skipSpace(data, o.i)
	if i < len(data) && data[i] == '}' && !o.open {
		return span{}, span{}, false, o.close(i + 1)
	}
	if o.open {
		switch {
		case i < len(data) && data[i] == ',':
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == '}':
			return span{}, span{}, false, o.close(i + 1)
		default:
			return span{}, span{}, false, errJSON
		}
	}
	o.open = true
	if i >= len(data) || data[i] != '"' {
		return span{}, span{}, false, errJSON
	}
	end, esc, err := scanString(data, i)
	if err != nil {
		return span{}, span{}, false, err
	}
	if esc {
		if _, err := unescape(data[i:end]); err != nil { // a lone surrogate
			return span{}, span{}, false, err
		}
	}
	name = span{start: i, end: end, esc: esc}
	if !o.names.add(data, name) {
		return span{}, span{}, false, fmt.Errorf("%w: duplicate member name", ErrMalformed)
	}
	i = skipSpace(data, end)
	if i >= len(data) || data[i] != ':' {
		return span{}, span{}, false, errJSON
	}
	start := skipSpace(data, i+1)
	if o.i, err = scanValue(data, start, o.depth+1); err != nil {
		return span{}, span{}, false, err
	}
	return name, span{start: start, end: o.i}, true, nil
}

// close ends the object at i, the index after its '}'.
func (o *object) close(i int) error {
	o.i = i
	if o.depth == 0 && skipSpace(o.data, i) != len(o.data) {
		return fmt.Errorf("%w: data after JSON object", ErrMalformed)
	}
	return nil
}

// nameSet remembers the member names of one object, to refuse duplicates
// after unescaping ("a" and "\u0061" are the same name). Names are kept as
// positions plus a short fingerprint, so that comparing the usual short
// names costs two integer compares. Past 16 names it switches to a map, so
// that an object with thousands of members costs linear, not quadratic, time.
type nameSet struct {
	lits [16]nameRef
	n    int
	many map[string]struct{}
}

type nameRef struct {
	lit  span
	head uint64 // the first 8 bytes of an unescaped name, zero-padded
}

// nameHead packs up to the first 8 bytes of a name's literal content.
func nameHead(lit []byte) uint64 {
	var h uint64
	for i, c := range lit[1 : len(lit)-1] {
		if i == 8 {
			break
		}
		h |= uint64(c) << (8 * i)
	}
	return h
}

// add records the name literal at sp and reports whether its name is new.
func (s *nameSet) add(data []byte, sp span) bool {
	lit := data[sp.start:sp.end]
	if s.many != nil {
		name, _ := unescape(lit)
		if _, dup := s.many[string(name)]; dup {
			return false
		}
		s.many[string(name)] = struct{}{}
		return true
	}
	head := nameHead(lit)
	for _, r := range s.lits[:s.n] {
		l := r.lit
		switch {
		case l.esc || sp.esc:
			if sameName(data[l.start:l.end], lit) {
				return false
			}
		case r.head != head || l.end-l.start != len(lit):
		case len(lit) <= 2+8 || string(data[l.start:l.end]) == string(lit):
			return false
		}
	}
	if s.n < len(s.lits) {
		s.lits[s.n] = nameRef{lit: sp, head: head}
		s.n++
		return true
	}
	s.many = make(map[string]struct{}, 2*len(s.lits))
	for _, r := range s.lits {
		name, _ := unescape(data[r.lit.start:r.lit.end])
		s.many[string(name)] = struct{}{}
	}
	name, _ := unescape(lit)
	s.many[string(name)] = struct{}{}
	return true
}

// sameName compares two scanned name literals after unescaping.
func sameName(a, b []byte) bool {
	ua, _ := unescape(a)
	ub, _ := unescape(b)
	return bytes.Equal(ua, ub)
}

// scanObject scans a nested object at data[i] and returns the index after it.
func scanObject(data []byte, i, depth int) (int, error) {
	if depth >= maxDepth {
		return 0, fmt.Errorf("%w: nested too deeply", ErrMalformed)
	}
	o := object{data: data, i: i + 1, depth: depth}
	for {
		_, _, ok, err := o.member()
		if err != nil {
			return 0, err
		}
		if !ok {
			return o.i, nil
		}
	}
}

// array reads the elements of a JSON array value, as object does members.
type array struct {
	data []byte
	i    int
	open bool
}

func readArray(v []byte) (array, error) {
	if len(v) == 0 || v[0] != '[' {
		return array{}, errJSON
	}
	return array{data: v, i: 1}, nil
}

// next returns the next raw element; ok is false after the last one.
func (a *array) next() (elem []byte, ok bool, err error) {
	data := a.data
	i := skipSpace(data, a.i)
	if i < len(data) && data[i] == ']' && !a.open {
		return nil, false, nil
	}
	if a.open {
		switch {
		case i < len(data) && data[i] == ',':
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == ']':
			return nil, false, nil
		default:
			return nil, false, errJSON
		}
	}
	a.open = true
	if a.i, err = scanValue(data, i, 1); err != nil {
		return nil, false, err
	}
	return data[i:a.i], true, nil
}

// scanValue scans one JSON value at data[i] and returns the index after it.
func scanValue(data []byte, i, depth int) (int, error) {
	if i >= len(data) {
		return 0, errJSON
	}
	switch c := data[i]; {
	case c == '"':
		end, _, err := scanString(data, i)
		return end, err
	case c == '{':
		return scanObject(data, i, depth)
	case c == '[':
		if depth >= maxDepth {
			return 0, fmt.Errorf("%w: nested too deeply", ErrMalformed)
		}
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == ']' {
			return i + 1, nil
		}
		for {
			var err error
			if i, err = scanValue(data, i, depth+1); err != nil {
				return 0, err
			}
			i = skipSpace(data, i)
			if i >= len(data) {
				return 0, errJSON
			}
			if data[i] == ']' {
				return i + 1, nil
			}
			if data[i] != ',' {
				return 0, errJSON
			}
			i = skipSpace(data, i+1)
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(data, i)
	case bytes.HasPrefix(data[i:], []byte("true")):
		return i + 4, nil
	case bytes.HasPrefix(data[i:], []byte("false")):
		return i + 5, nil
	case bytes.HasPrefix(data[i:], []byte("null")):
		return i + 4, nil
	}
	return 0, errJSON
}
