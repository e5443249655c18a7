package token

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// A small strict JSON scanner for headers and claims sets. Unlike
// encoding/json it rejects duplicate member names at any depth, invalid UTF-8
// and lone surrogates, bounds nesting, and hands back raw values without
// reflection, so each token is decoded once.

// maxDepth bounds the nesting of JSON values in a header or claims set.
const maxDepth = 16

// parseObject walks a JSON object that must be the whole of data (surrounding
// whitespace allowed), calling fn with each member's unescaped name and raw
// value. It enforces: valid UTF-8, RFC 8259 grammar, no duplicate names at any
// depth, nesting up to maxDepth.
func parseObject(data []byte, depth int, fn func(name, value []byte) error) error {
	if depth == 0 && !utf8.Valid(data) {
		return fmt.Errorf("%w: not UTF-8", ErrMalformed)
	}
	i := skipSpace(data, 0)
	end, err := scanObject(data, i, depth, fn)
	if err != nil {
		return err
	}
	if skipSpace(data, end) != len(data) {
		return fmt.Errorf("%w: data after JSON object", ErrMalformed)
	}
	return nil
}

var errJSON = fmt.Errorf("%w: invalid JSON", ErrMalformed)

// scanObject scans the object starting at data[i] and returns the index after
// it. fn, if not nil, receives each member.
func scanObject(data []byte, i, depth int, fn func(name, value []byte) error) (int, error) {
	if depth >= maxDepth {
		return 0, fmt.Errorf("%w: nested too deeply", ErrMalformed)
	}
	if i >= len(data) || data[i] != '{' {
		return 0, errJSON
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil
	}
	var seenBuf [16][]byte
	seen := seenBuf[:0]
	for {
		if i >= len(data) || data[i] != '"' {
			return 0, errJSON
		}
		end, err := scanString(data, i)
		if err != nil {
			return 0, err
		}
		name, err := unescape(data[i:end])
		if err != nil {
			return 0, err
		}
		for _, s := range seen {
			if bytes.Equal(s, name) {
				return 0, fmt.Errorf("%w: duplicate member name", ErrMalformed)
			}
		}
		seen = append(seen, name)
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return 0, errJSON
		}
		i = skipSpace(data, i+1)
		vstart := i
		if i, err = scanValue(data, i, depth+1); err != nil {
			return 0, err
		}
		if fn != nil {
			if err := fn(name, data[vstart:i]); err != nil {
				return 0, err
			}
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return 0, errJSON
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, errJSON
		}
	}
}

// forEachElement calls fn with each raw element of the JSON array v.
func forEachElement(v []byte, fn func(e []byte) error) error {
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		return nil
	}
	for {
		start := i
		end, err := scanValue(v, i, 1)
		if err != nil {
			return err
		}
		if err := fn(v[start:end]); err != nil {
			return err
		}
		i = skipSpace(v, end)
		if i >= len(v) {
			return errJSON
		}
		if v[i] == ']' {
			return nil
		}
		if v[i] != ',' {
			return errJSON
		}
		i = skipSpace(v, i+1)
	}
}

// scanValue scans one JSON value at data[i] and returns the index after it.
func scanValue(data []byte, i, depth int) (int, error) {
	if i >= len(data) {
		return 0, errJSON
	}
	switch c := data[i]; {
	case c == '"':
		return scanString(data, i)
	case c == '{':
		return scanObject(data, i, depth, nil)
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

// scanNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(data []byte, i int) (int, error) {
	digits := func(i int) int {
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i
	}
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(i)
	default:
		return 0, errJSON
	}
	if i < len(data) && data[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, errJSON
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, errJSON
		}
		i = j
	}
	return i, nil
}

// scanString scans the string literal at data[i] (a '"') and returns the
// index after its closing quote. Control characters and bad escapes are errors.
func scanString(data []byte, i int) (int, error) {
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1, nil
		case c < 0x20:
			return 0, errJSON
		case c == '\\':
			i++
			if i >= len(data) {
				return 0, errJSON
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(data) {
					return 0, errJSON
				}
				for _, h := range data[i+1 : i+5] {
					if !isHex(h) {
						return 0, errJSON
					}
				}
				i += 4
			default:
				return 0, errJSON
			}
		}
	}
	return 0, errJSON
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// unquote returns the text of a scanned string literal.
func unquote(lit []byte) (string, error) {
	b, err := unescape(lit)
	return string(b), err
}

// unescape returns the content of a scanned string literal: a subslice when it
// has no escapes, else a new buffer. A lone or reversed UTF-16 surrogate is
// an error (encoding/json would silently replace it).
func unescape(lit []byte) ([]byte, error) {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return body, nil
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch body[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(body[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || i+2 >= len(body) || body[i+1] != '\\' || body[i+2] != 'u' {
					return nil, fmt.Errorf("%w: lone surrogate", ErrMalformed)
				}
				r2 := hex4(body[i+3 : i+7])
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return nil, fmt.Errorf("%w: lone surrogate", ErrMalformed)
				}
				i += 6
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, body[i])
		}
	}
	return out, nil
}

func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}
