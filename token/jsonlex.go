package token

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// The lexical layer of the JSON scanner in json.go: numbers, string literals
// and their escapes, whitespace.

// scanNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(data []byte, i int) (int, error) {
	digits := func(i int) int {
		for i < len(data) && isDigit(data[i]) {
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
	case i < len(data) && isDigit(data[i]): // 1-9: '0' is the case above
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

// stringStop marks the bytes that end a run of plain string content: those
// below 0x20, '"', '\\' and every byte outside ASCII.
var stringStop = func() (t [256]bool) {
	for c := range t {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf
	}
	return t
}()

// scanString scans the string literal at data[i] (a '"') and returns the
// index after its closing quote, and whether it has escapes. Control
// characters, bad escapes and invalid UTF-8 are errors. Outside strings the
// grammar allows only ASCII, so this is the JSON text's UTF-8 check.
func scanString(data []byte, i int) (end int, escaped bool, err error) {
	for i++; i < len(data); i++ {
		i = plainRun(data, i)
		if i >= len(data) {
			break
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, escaped, nil
		case c < 0x20:
			return 0, false, errJSON
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, errNotUTF8
			}
			i += size - 1
			continue
		}
		// a backslash
		escaped = true
		i++
		if i >= len(data) {
			return 0, false, errJSON
		}
		switch data[i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if i+4 >= len(data) {
				return 0, false, errJSON
			}
			for _, h := range data[i+1 : i+5] {
				if !isHex(h) {
					return 0, false, errJSON
				}
			}
			i += 4
		default:
			return 0, false, errJSON
		}
	}
	return 0, false, errJSON
}

// plainRun returns the index of the first byte at or after i that ends a
// run of plain string content, or len(data). It tests eight bytes at a time
// and finds the stop among them from the test's bits: a third of the time of
// scanning strings, and over 5 % of the cost of a host claim (benchmark row
// Extra/HS256/execauth).
func plainRun(data []byte, i int) int {
	for ; i+8 <= len(data); i += 8 {
		if m := stringStops(binary.LittleEndian.Uint64(data[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(data) && !stringStop[data[i]] {
		i++
	}
	return i
}

// stringStops sets the high bit of each of the eight bytes of w (the first
// in memory lowest) that is a quote, a backslash, below 0x20 or not ASCII.
// The lowest bit set is exact: a byte borrows from the next only if it
// matched itself, so only bytes after a stop can be marked wrongly.
func stringStops(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := w^(ones*'"'), w^(ones*'\\')
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (w-ones*0x20)&^w | w) & highs
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
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
