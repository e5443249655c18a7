package middleware

import (
	"fmt"
	"net/http"
	"strings"
)

// FromHeader returns the token of r's Authorization header as RFC 6750 §2.1
// defines it: the scheme "Bearer" in any letter case, one or more spaces (no
// tabs), then one b64token and nothing else. It is what [Authenticate] uses
// when [Config.Extract] is nil, and what a custom Extract can fall back to.
//
// It fails with [ErrNoCredentials] when there is no Authorization header or
// it names another scheme, and with [ErrInvalidRequest] for two Authorization
// fields, an empty value, a Bearer header without a token, tabs, extra parts
// or characters outside b64token. Error messages never contain the header.
func FromHeader(r *http.Request) (string, error) {
	tok, err := bearerField(r)
	if err == nil && !isB64Token(tok) {
		return "", errNotB64Token
	}
	return tok, err
}

var errNotB64Token = fmt.Errorf("%w: token is not one b64token", ErrInvalidRequest)

// bearerField is FromHeader without the b64token check of the token's
// characters (Authenticate defers that check; see guard.authenticate).
func bearerField(r *http.Request) (string, error) {
	fields := r.Header["Authorization"]
	switch len(fields) {
	case 0:
		return "", ErrNoCredentials
	case 1:
		return parseBearer(fields[0])
	}
	return "", fmt.Errorf("%w: more than one Authorization field", ErrInvalidRequest)
}

func parseBearer(v string) (string, error) {
	i := 0 // the scheme ends at the first space or tab; a loop takes a third of strings.IndexAny's time
	for i < len(v) && v[i] != ' ' && v[i] != '\t' {
		i++
	}
	scheme, rest := v[:i], v[i:]
	if scheme == "" {
		return "", fmt.Errorf("%w: no scheme", ErrInvalidRequest)
	}
	// "bearer" contains no letter with a non-ASCII case fold, so EqualFold
	// matches exactly the ASCII case variants.
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrNoCredentials
	}
	n := 0
	for n < len(rest) && rest[n] == ' ' {
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("%w: no space after Bearer", ErrInvalidRequest)
	}
	if n == len(rest) {
		return "", fmt.Errorf("%w: Bearer without a token", ErrInvalidRequest)
	}
	return rest[n:], nil
}

// notB64char is 1 for every byte that is not a b64token character before
// padding (ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"), else 0.
var notB64char = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~+/", byte(c)) >= 0
		if !ok {
			t[c] = 1
		}
	}
	return t
}()

// isB64Token reports whether s is 1*b64char *"=" (RFC 6750 §2.1): with the
// trailing '=' removed, a non-empty run of b64char. The check ORs table
// entries without a branch per byte (four accumulators, so the loads do not
// wait on each other).
func isB64Token(s string) bool {
	s = strings.TrimRight(s, "=")
	if s == "" {
		return false
	}
	var b0, b1, b2, b3 byte
	i := 0
	for ; i+4 <= len(s); i += 4 {
		b0 |= notB64char[s[i]]
		b1 |= notB64char[s[i+1]]
		b2 |= notB64char[s[i+2]]
		b3 |= notB64char[s[i+3]]
	}
	for ; i < len(s); i++ {
		b0 |= notB64char[s[i]]
	}
	return b0|b1|b2|b3 == 0
}
