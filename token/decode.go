package token

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/execauth/execauth/scope"
)

// b64quad maps a base64url character to its 6-bit value shifted into place
// for each position of a group of four: the group's three bytes are the OR
// of the four entries. A character outside the alphabet sets the top byte.
// Four tables rather than one value table and shifts decode a third faster:
// about 3 % of a full HS256 request (benchmark row
// Middleware/HS256/execauth).
var b64quad = func() (t [4][256]uint32) {
	for i := range t[0] {
		for k := range t {
			t[k][i] = 0xff << 24
		}
	}
	for v, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		for k := range t {
			t[k][c] = uint32(v) << (18 - 6*k)
		}
	}
	return t
}()

// frame is a compact JWS split into its parts, without copying.
type frame struct {
	header, payload, signature string
	signingInput               string // header "." payload
}

// split checks the framing of raw — exactly three non-empty segments —
// without allocating. Each segment's characters are checked when it is
// decoded (decodeSegment), so that every byte is read once.
func split(raw string) (frame, error) {
	d1 := strings.IndexByte(raw, '.')
	d2 := d1 + 1 + strings.IndexByte(raw[d1+1:], '.')
	switch {
	case d1 <= 0 || d2 <= d1+1 || d2 == len(raw)-1:
		return frame{}, fmt.Errorf("%w: need three non-empty segments", ErrMalformed)
	case strings.IndexByte(raw[d2+1:], '.') >= 0:
		return frame{}, fmt.Errorf("%w: more than three segments", ErrMalformed)
	}
	return frame{header: raw[:d1], payload: raw[d1+1 : d2], signature: raw[d2+1:], signingInput: raw[:d2]}, nil
}

// decodeSegment appends the strict base64url decoding of s to dst. Characters
// outside the alphabet, impossible lengths and non-canonical trailing bits are
// errors.
func decodeSegment(dst []byte, s string) ([]byte, error) {
	if len(s)%4 == 1 {
		return nil, fmt.Errorf("%w: base64url length", ErrMalformed)
	}
	o, need := len(dst), len(dst)+len(s)*3/4
	if cap(dst) < need {
		dst = append(make([]byte, 0, need), dst...)
	}
	out, t := dst[o:need], &b64quad
	var n, bad uint32
	// Each group but the last is stored as four bytes, the fourth the next
	// group's first; the last is stored on its own, so that nothing is
	// written past need (one loop that chose per group was a third slower).
	for len(s) >= 8 && len(out) >= 4 {
		n = t[0][s[0]] | t[1][s[1]] | t[2][s[2]] | t[3][s[3]]
		bad |= n
		binary.BigEndian.PutUint32(out, n<<8)
		out, s = out[3:], s[4:]
	}
	if len(s) >= 4 && len(out) >= 3 {
		n = t[0][s[0]] | t[1][s[1]] | t[2][s[2]] | t[3][s[3]]
		bad |= n
		out[0], out[1], out[2] = byte(n>>16), byte(n>>8), byte(n)
		out, s = out[3:], s[4:]
	}
	var mask uint32
	switch {
	case len(s) == 2 && len(out) >= 1:
		n, mask = t[0][s[0]]|t[1][s[1]], 0xffff
		out[0] = byte(n >> 16)
	case len(s) == 3 && len(out) >= 2:
		n, mask = t[0][s[0]]|t[1][s[1]]|t[2][s[2]], 0xff
		out[0], out[1] = byte(n>>16), byte(n>>8)
	}
	if (bad|n)>>24 != 0 {
		return nil, fmt.Errorf("%w: character outside base64url", ErrMalformed)
	}
	if n&mask != 0 {
		return nil, fmt.Errorf("%w: non-canonical base64url", ErrMalformed)
	}
	return dst[:need], nil
}

// decoded is the one allocation of a decoded claims set: the Claims, the
// backing arrays of the usual one audience and one scope, and the bytes of
// its string claims while they fit (sub and jti: two UUIDs' worth). The
// claims set's text is copied only for string claims that do not fit; host
// claims are read from the token's own payload when asked for. A fifth fewer
// bytes per full HS256 request than copying the text always (benchmark row
// Middleware/HS256/execauth: 864 -> 704 B), and none more for host claims.
type decoded struct {
	Claims
	aud    [1]string
	scope  [1]scope.Scope
	inline [72]byte // two UUIDs
	used   int      // bytes of inline taken
}

// expected holds the iss and aud values a verifier accepts: a claim equal
// to one of them shares the verifier's string instead of taking a copy.
type expected struct {
	issuer   string
	audience []string
}

// decodeClaims decodes a claims set, which the token has base64url-encoded
// as encoded ("" if none: the text is copied for host claims then).
// Registered claims must have their JSON types. String claims share exp's
// strings or take their bytes from one allocation with the Claims (see
// decoded).
//
// It reads the members itself rather than through object, with the same
// grammar and checks: a registered name is looked up once, and a set of bits
// instead of the name table refuses it twice. That takes a third off
// decoding the usual claims set: over 5 % of a full HS256 request
// (benchmark row Middleware/HS256/execauth).
func decodeClaims(data []byte, encoded string, exp *expected) (*Claims, error) {
	i, err := openObject(data)
	if err != nil {
		return nil, err
	}
	d := new(decoded)
	var seen uint16    // registered claims read, by index
	var others nameSet // every other name
	host := false      // a member with another name
	// Members up to the closing '}', each but the first after a ','.
	i = skipSpace(data, i)
	for empty := i < len(data) && data[i] == '}'; !empty; i = skipSpace(data, i+1) {
		if i >= len(data) || data[i] != '"' {
			return nil, errJSON
		}
		end, esc, err := scanString(data, i)
		if err != nil {
			return nil, err
		}
		name := data[i+1 : end-1]
		if esc {
			if name, err = unescape(data[i:end]); err != nil { // a lone surrogate
				return nil, err
			}
		}
		k := registeredIndex(name)
		if k >= 0 && seen&(1<<k) != 0 || k < 0 && !others.add(data, span{start: i, end: end, esc: esc}) {
			return nil, errDuplicate
		}
		if i = skipSpace(data, end); i >= len(data) || data[i] != ':' {
			return nil, errJSON
		}
		at := skipSpace(data, i+1)
		if k >= 0 {
			seen |= 1 << k
			i, err = d.read(k, data, at, exp)
		} else if host = true; isVariant(name) {
			err = fmt.Errorf("%w: case variant of a registered claim", ErrMalformed)
		} else {
			i, err = scanValue(data, at, 1)
		}
		if err != nil {
			return nil, err
		}
		if i = skipSpace(data, i); i < len(data) && data[i] == '}' {
			break
		}
		if i >= len(data) || data[i] != ',' {
			return nil, errJSON
		}
	}
	if err := closeTop(data, i+1); err != nil {
		return nil, err
	}
	switch {
	case !host || d.extra != "": // no host claims, or their text is kept
	case encoded != "":
		d.extra, d.encoded = encoded, true
	default:
		d.keepText(data)
	}
	return &d.Claims, nil
}

// decodeClaims' set of the registered claims read has a bit for each: a
// seventeenth registered name, which would get none and whose duplicates
// would pass, does not compile here.
const _ = uint16(1 << (len(registered) - 1))

// read decodes the value at data[at] of the registered claim k and returns
// the index after it. Each value is read once: a time's digits as they are
// parsed, a string as it is scanned.
func (d *decoded) read(k int, data []byte, at int, exp *expected) (end int, err error) {
	c := &d.Claims
	switch k {
	case claimExp:
		return timeValue(data, at, &c.ExpiresAt)
	case claimIat:
		return timeValue(data, at, &c.IssuedAt)
	case claimNbf:
		return timeValue(data, at, &c.NotBefore)
	case claimAuthTime:
		return timeValue(data, at, &c.AuthTime)
	case claimAud:
		if at < len(data) && data[at] == '[' {
			return d.audiences(data, at, exp)
		}
	}
	// A string: iss, sub, jti, scope, or aud with one value.
	if at >= len(data) || data[at] != '"' {
		if _, err := scanValue(data, at, 1); err != nil {
			return 0, err // not JSON: malformed, whatever the claim
		}
		if k == claimScope {
			return 0, fmt.Errorf("%w: not a string", ErrScope)
		}
		return 0, fmt.Errorf("%w: %s is not a string", ErrMalformed, registered[k])
	}
	end, esc, err := scanString(data, at)
	if err != nil {
		return 0, err
	}
	switch k {
	case claimScope:
		c.Scope, err = scopeValue(data[at:end], d.scope[:0:len(d.scope)])
	case claimIss:
		c.Issuer, err = d.text(data, at, end, esc, exp)
	case claimSub:
		c.Subject, err = d.text(data, at, end, esc, exp)
	case claimJti:
		c.ID, err = d.text(data, at, end, esc, exp)
	case claimAud:
		var s string
		if s, err = d.text(data, at, end, esc, exp); s != "" {
			c.Audience = append(d.aud[:0], s)
		}
	}
	return end, err
}

// text returns the string literal data[at:end], which has escapes if esc:
// a new string if it has; else exp's string if equal to one; else a copy in
// d.inline while it has room, or a substring of the kept text.
func (d *decoded) text(data []byte, at, end int, esc bool, exp *expected) (string, error) {
	if esc {
		return stringValue(data[at:end])
	}
	s := data[at+1 : end-1]
	if string(s) == exp.issuer {
		return exp.issuer, nil
	}
	for _, a := range exp.audience {
		if string(s) == a {
			return a, nil
		}
	}
	if len(s) == 0 {
		return "", nil
	}
	if n := copy(d.inline[d.used:], s); n == len(s) {
		// Safe: these bytes are never written again.
		t := unsafe.String(&d.inline[d.used], n)
		d.used += n
		return t, nil
	}
	return d.keepText(data)[at+1 : end-1], nil
}

// keepText keeps the claims set's text in the Claims, once, and returns it.
func (d *decoded) keepText(data []byte) string {
	if d.extra == "" {
		d.extra = string(data)
	}
	return d.extra
}

// audiences decodes the aud array at data[at] into d.aud or, for more than
// one value, a new slice, skipping empty strings, and returns the index
// after it.
func (d *decoded) audiences(data []byte, at int, exp *expected) (end int, err error) {
	if end, err = scanValue(data, at, 1); err != nil {
		return 0, err
	}
	v := data[at:end]
	a, _ := readArray(v)
	aud := d.aud[:0]
	if n := bytes.Count(v, []byte{','}) + 1; n > cap(aud) {
		aud = make([]string, 0, n) // at least one per element: one allocation for any number
	}
	for {
		e, i, ok, err := a.next()
		switch {
		case err != nil:
			return 0, err
		case !ok:
			if len(aud) > 0 {
				d.Audience = aud
			}
			d.audArray = true
			return end, nil
		case e[0] != '"':
			return 0, fmt.Errorf("%w: aud is not an array of strings", ErrMalformed)
		}
		s, err := d.text(data, at+i, at+i+len(e), bytes.IndexByte(e, '\\') >= 0, exp)
		if err != nil {
			return 0, err
		}
		if s != "" {
			aud = append(aud, s)
		}
	}
}

// classes are the token classes, for allocation-free lookups by bytes.
var classes = scope.Classes()

// scopeValue parses a scope claim into dst. A scope that is exactly one
// class name takes that constant, so the common token allocates nothing here.
func scopeValue(v []byte, dst scope.Set) (scope.Set, error) {
	if len(v) > 2 && v[0] == '"' {
		for _, class := range classes {
			if string(v[1:len(v)-1]) == string(class) {
				return append(dst, class), nil
			}
		}
	}
	s, err := stringValue(v)
	if err != nil {
		return nil, fmt.Errorf("%w: not a string", ErrScope)
	}
	set, err := scope.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScope, err)
	}
	return set, nil
}

func stringValue(v []byte) (string, error) {
	if len(v) == 0 || v[0] != '"' {
		return "", fmt.Errorf("%w: want a string", ErrMalformed)
	}
	b, err := unescape(v)
	return string(b), err
}

// maxTime is the last second of year 9999 UTC, the latest time claim
// accepted: a larger one would wrap around inside time.Unix (nbf
// 9223371974719179008 becomes a date in the past).
const maxTime = 253402300799

// timeValue parses the NumericDate at data[at] into t and returns the index
// after it. It must be a JSON integer from 0 (1970) to maxTime (9999): no
// sign, fraction or exponent, no string, no null. The range is checked on
// the digits, before any conversion.
func timeValue(data []byte, at int, t *time.Time) (end int, err error) {
	var n int64
	for end = at; end < len(data) && isDigit(data[end]) && end-at < len("253402300799"); end++ {
		n = n*10 + int64(data[end]-'0')
	}
	if end == at || n > maxTime || data[at] == '0' && end-at > 1 ||
		end < len(data) && (isDigit(data[end]) || data[end] == '.' || data[end] == 'e' || data[end] == 'E') {
		return 0, fmt.Errorf("%w: time claim is not an integer from 1970 to 9999", ErrMalformed)
	}
	*t = time.Unix(n, 0).UTC()
	return end, nil
}
