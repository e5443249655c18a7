package token

import (
	"bytes"
	"fmt"
	"math"
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

var (
	errDuplicate = fmt.Errorf("%w: duplicate member name", ErrMalformed)
	errTrailing  = fmt.Errorf("%w: data after JSON object", ErrMalformed)
	errNotUTF8   = fmt.Errorf("%w: not UTF-8", ErrMalformed)
)

// readObject starts reading the JSON object that must be the whole of data
// (surrounding whitespace allowed). Invalid UTF-8 is refused where it is
// read: only a string may hold a byte outside ASCII.
func readObject(data []byte) (object, error) {
	i, err := openObject(data)
	if err != nil {
		return object{}, err
	}
	return object{data: data, i: i}, nil
}

// openObject checks that data starts with an object, and returns the index
// after its '{'.
func openObject(data []byte) (int, error) {
	if uint64(len(data)) > math.MaxUint32 { // nameSet keeps positions in 32 bits
		return 0, errJSON
	}
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return 0, errJSON
	}
	return i + 1, nil
}

// closeTop ends the top-level object at i, the index after its '}':
// nothing but whitespace may follow.
func closeTop(data []byte, i int) error {
	if skipSpace(data, i) != len(data) {
		return errTrailing
	}
	return nil
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
		return span{}, span{}, false, errDuplicate
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
	if o.depth == 0 {
		return closeTop(o.data, i)
	}
	return nil
}

// nameSet refuses a member name that occurs twice in one object, compared
// after unescaping ("a" and "\u0061" are one name). It is an open-addressing
// hash table of name literals by position: the first table lives in the set
// itself, so an object of up to 32 members allocates nothing, and a larger
// object gets a larger table, so that the check stays linear in the number of
// members.
type nameSet struct {
	small [64]nameSlot
	big   []nameSlot // the table, once small is outgrown
	n     int
}

// nameSlot is a name literal (quotes included) by position, and whether it
// has escapes; end 0 is empty.
type nameSlot struct {
	start, end uint32
	esc        bool
}

func (s *nameSet) table() []nameSlot {
	if s.big != nil {
		return s.big
	}
	return s.small[:]
}

// add records the name literal at sp and reports whether its name is new.
func (s *nameSet) add(data []byte, sp span) bool {
	if 2*(s.n+1) > len(s.table()) {
		s.grow(data)
	}
	t, slot := s.table(), nameSlot{uint32(sp.start), uint32(sp.end), sp.esc}
	mask := len(t) - 1
	for i := nameHash(data, slot) & mask; ; i = (i + 1) & mask {
		e := t[i]
		if e.end == 0 {
			t[i] = slot
			s.n++
			return true
		}
		if sameName(data, e, slot) {
			return false
		}
	}
}

// grow moves the names to a table twice as large.
func (s *nameSet) grow(data []byte) {
	old := s.table()
	t := make([]nameSlot, 2*len(old))
	mask := len(t) - 1
	for _, e := range old {
		if e.end == 0 {
			continue
		}
		i := nameHash(data, e) & mask
		for t[i].end != 0 {
			i = (i + 1) & mask
		}
		t[i] = e
	}
	s.big = t
}

// nameHash is FNV-1a over a name's content after unescaping, so that one
// name hashes alike however it is written.
func nameHash(data []byte, n nameSlot) int {
	name := data[n.start+1 : n.end-1]
	if n.esc {
		name, _ = unescape(data[n.start:n.end])
	}
	h := uint32(2166136261)
	for _, c := range name {
		h = (h ^ uint32(c)) * 16777619
	}
	return int(h)
}

// sameName compares two names after unescaping.
func sameName(data []byte, a, b nameSlot) bool {
	la, lb := data[a.start:a.end], data[b.start:b.end]
	if !a.esc && !b.esc {
		return string(la) == string(lb)
	}
	ua, _ := unescape(la)
	ub, _ := unescape(lb)
	return bytes.Equal(ua, ub)
}

// scanObject scans a nested object at data[i] and returns the index after it.
func scanObject(data []byte, i, depth int) (int, error) {
	o := object{data: data, i: i + 1, depth: depth}
	for {
		_, _, ok, err := o.member()
		if err != nil || !ok {
			return o.i, err
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

// next returns the next raw element and where it starts in the array
// value; ok is false after the last one.
func (a *array) next() (elem []byte, at int, ok bool, err error) {
	data := a.data
	i := skipSpace(data, a.i)
	if i < len(data) && data[i] == ']' && !a.open {
		return nil, 0, false, nil
	}
	if a.open {
		switch {
		case i < len(data) && data[i] == ',':
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == ']':
			return nil, 0, false, nil
		default:
			return nil, 0, false, errJSON
		}
	}
	a.open = true
	if a.i, err = scanValue(data, i, 1); err != nil {
		return nil, 0, false, err
	}
	return data[i:a.i], i, true, nil
}

// scanValue scans one JSON value at data[i] and returns the index after it.
func scanValue(data []byte, i, depth int) (int, error) {
	if i >= len(data) {
		return 0, errJSON
	}
	switch c := data[i]; {
	case (c == '{' || c == '[') && depth >= maxDepth:
		return 0, fmt.Errorf("%w: nested too deeply", ErrMalformed)
	case c == '"':
		end, _, err := scanString(data, i)
		return end, err
	case c == '{':
		return scanObject(data, i, depth)
	case c == '[':
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
