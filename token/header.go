package token

import (
	"encoding/base64"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"

	"github.com/execauth/execauth/jwks"
)

// Bounds on a JOSE header, checked before any of it is decoded or parsed: a
// header is the largest input an unauthenticated caller controls, and this
// library's headers hold three members in under 200 bytes (a kid is at most
// 256). Benchmark row: Hostile/EdDSA/execauth.
const (
	maxHeaderSize    = 1024 // bytes, decoded
	maxHeaderMembers = 16
)

// maxHeaderEncoded is maxHeaderSize in base64url characters.
var maxHeaderEncoded = base64.RawURLEncoding.EncodedLen(maxHeaderSize)

// header holds what the verifier reads from a JOSE header.
type header struct {
	alg jwks.Algorithm
	kid string
}

// headerNames are the header members the verifier reads or refuses; a member
// matching one only case-insensitively is malformed.
var headerNames = [...]string{"alg", "kid", "typ", "crit", "zip", "cty", "b64", "enc"}

// decodeHeader decodes an encoded JOSE header of at most maxHeaderEncoded
// characters, reads alg, kid and typ and refuses what this library does not
// process, and a header of more than maxHeaderMembers members. jku, x5u, jwk
// and x5c are never read.
func decodeHeader(encoded string) (header, error) {
	var h header
	var hasAlg bool
	var buf [maxHeaderSize]byte
	data, err := decodeSegment(buf[:0], encoded)
	if err != nil {
		return h, err
	}
	o, err := readObject(data)
	for n := 0; err == nil; n++ {
		var m member
		var ok bool
		if m, ok, err = o.next(); !ok || err != nil {
			break
		}
		if n == maxHeaderMembers {
			return header{}, fmt.Errorf("%w: header with more than %d members", ErrMalformed, maxHeaderMembers)
		}
		name, value := m.name, m.value
		switch string(name) {
		case "alg":
			var alg string
			alg, err = stringValue(value)
			h.alg, hasAlg = jwks.Algorithm(alg), true
		case "kid":
			if h.kid, err = stringValue(value); err == nil && !jwks.ValidKID(h.kid) {
				err = fmt.Errorf("%w: kid", ErrMalformed)
			}
		case "typ":
			var typ string
			if typ, err = stringValue(value); err == nil && !validTyp(typ) {
				err = fmt.Errorf("%w: typ", ErrUnsupported)
			}
		case "crit", "zip", "cty", "b64", "enc":
			err = fmt.Errorf("%w: %s", ErrUnsupported, string(name))
		default:
			for _, n := range headerNames {
				if strings.EqualFold(string(name), n) {
					err = fmt.Errorf("%w: case variant of a header name", ErrMalformed)
				}
			}
		}
	}
	if err != nil {
		return header{}, err
	}
	if !hasAlg {
		return header{}, fmt.Errorf("%w: no alg", ErrMalformed)
	}
	return h, nil
}

// validTyp accepts JWT and at+jwt (RFC 9068), case-insensitively, with or
// without the "application/" prefix.
func validTyp(s string) bool {
	if len(s) > len("application/") && strings.EqualFold(s[:len("application/")], "application/") {
		s = s[len("application/"):]
	}
	return strings.EqualFold(s, "JWT") || strings.EqualFold(s, "at+jwt")
}

// maxHeaders bounds the headers a Verifier remembers: an issuer signs with
// one key at a time, two during a rotation. Past it the memo starts over.
const maxHeaders = 64

// headerMemo remembers the encoded headers of tokens whose signature
// verified, with what they say: tokens of one issuer share a header, so the
// next one skips decoding and parsing it (over 5 % of an HS256
// verification: benchmark rows Verify/HS256/execauth and
// Middleware/HS256/execauth). Only headers of verified tokens are added, so
// forged tokens cannot fill it, and each of them passed the verifier's
// algorithm allow-list. The map is replaced, never changed, so a lookup
// takes no lock: a new header is rare, a lookup is every request.
type headerMemo struct {
	m atomic.Pointer[map[string]header]
}

func (t *headerMemo) get(encoded string) (header, bool) {
	m := t.m.Load()
	if m == nil {
		return header{}, false
	}
	h, ok := (*m)[encoded]
	return h, ok
}

// remember adds the header of a verified token. The segment is copied: it
// is part of a request the memo must not keep alive. If another header was
// added meanwhile, this one waits for its next token.
func (t *headerMemo) remember(encoded string, h header) {
	old := t.m.Load()
	next := make(map[string]header)
	if old != nil && len(*old) < maxHeaders {
		next = maps.Clone(*old)
	}
	next[strings.Clone(encoded)] = h
	t.m.CompareAndSwap(old, &next)
}
