package jwks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/MicahParks/jwkset"
)

// ParseKey reads one public JWK (RFC 7517) as a verification key. It accepts
// EC (P-256, P-384, P-521), RSA (at least 2048 bits) and OKP (Ed25519) keys
// whose use, if present, is "sig" and whose key_ops, if present, include
// "verify". The key is bound to its alg member, which must fit it; without
// one, to the alg its type implies (see [NewKey]).
//
// It refuses, rather than trims, a JWK carrying private members (d, p, q, dp,
// dq, qi, oth, k): a key set is public, so a private half found in one has
// been disclosed and its signatures prove nothing. Symmetric (oct) keys are
// refused: HMAC is never accepted from a JWK. Numbers must be canonical
// unpadded base64url of the exact length (EC coordinates full length, RSA
// without leading zeros). x5c, x5u and x5t are ignored: never fetched, never
// trusted.
//
// Errors match [ErrUnsupportedKey] (type, curve, use, key_ops, private or
// malformed members, a point off its curve), [ErrWeakKey],
// [ErrKeyMismatch], [ErrUnsupportedAlgorithm] or [ErrInvalidKID].
func ParseKey(data []byte) (Key, error) {
	k, _, err := parseJWK(data)
	return k, err
}

// ParseSet reads a JWK Set ({"keys": [...]}) and returns the keys it can use,
// in document order, as [ParseKey] reads them. Each unusable key is left out
// and reported in skipped, with its index and kid; so is every key that
// shares its kid with another (which one is meant is ambiguous) and, in a set
// of more than one usable key, every key without a kid. err is set only when
// data is not a JSON object with a "keys" array; it then matches
// [ErrMalformed].
func ParseSet(data []byte) (keys []Key, skipped []error, err error) {
	doc, err := members(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: JWK Set: %w", ErrMalformed, err)
	}
	var raw []json.RawMessage
	if v, ok := doc["keys"]; !ok || !bytes.HasPrefix(v, []byte("[")) || json.Unmarshal(v, &raw) != nil {
		return nil, nil, fmt.Errorf("%w: JWK Set without a keys array", ErrMalformed)
	}
	type entry struct {
		key Key
		kid string // valid, or ""
		err error
	}
	entries := make([]entry, len(raw))
	var parsed []Key
	for i, r := range raw {
		e := &entries[i]
		if e.key, e.kid, e.err = parseJWK(r); e.err == nil {
			parsed = append(parsed, e.key)
		}
	}
	why := unambiguous(parsed)
	for i, e := range entries {
		if e.err == nil {
			e.err, why = why[0], why[1:]
		}
		if e.err != nil {
			skipped = append(skipped, describe(e.err, i, e.kid))
			continue
		}
		keys = append(keys, e.key)
	}
	return keys, skipped, nil
}

// Reasons why a key that parsed is still left out of a set.
var (
	errDuplicateKID = fmt.Errorf("%w: kid shared with another key", ErrInvalidKID)
	errMissingKID   = fmt.Errorf("%w: no kid in a set of several keys", ErrInvalidKID)
)

// unambiguous returns, per key, nil if it can be kept or why it cannot: a
// kid that another key also has, or no kid while more than one key is left.
func unambiguous(keys []Key) []error {
	count := make(map[string]int, len(keys))
	for _, k := range keys {
		count[k.id]++
	}
	left := count[""] // the keys without kid, and the kids of one key
	for kid, n := range count {
		if kid != "" && n == 1 {
			left++
		}
	}
	out := make([]error, len(keys))
	for i, k := range keys {
		switch {
		case k.id != "" && count[k.id] > 1:
			out[i] = errDuplicateKID
		case k.id == "" && left > 1:
			out[i] = errMissingKID
		}
	}
	return out
}

// describe names a skipped key by its index and, if it has a valid one, its
// kid (a remote key set is public, so its kids are not secret).
func describe(err error, index int, kid string) error {
	if kid == "" {
		return fmt.Errorf("%w (key %d)", err, index)
	}
	return fmt.Errorf("%w (key %d, kid %.64q)", err, index, kid)
}

// privateMembers are the JWK members that carry private or secret key
// material (RFC 7518 §6.2.2, §6.3.2, §6.4).
var privateMembers = [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// parseJWK reads one JWK. It also returns the kid once it is known to be
// valid, so that a caller can name the key it skips.
func parseJWK(data []byte) (Key, string, error) {
	m, err := members(data)
	if err != nil {
		return Key{}, "", fmt.Errorf("%w: JWK: %w", ErrUnsupportedKey, err)
	}
	var kid string
	if err := stringMember(m, "kid", &kid); err != nil {
		return Key{}, "", err
	}
	if _, ok := m["kid"]; ok && !ValidKID(kid) {
		return Key{}, "", fmt.Errorf("%w: JWK kid", ErrInvalidKID)
	}
	var j jwkset.JWKMarshal
	var kty, use, alg, crv string
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"kty", &kty}, {"use", &use}, {"alg", &alg}, {"crv", &crv},
		{"x", &j.X}, {"y", &j.Y}, {"n", &j.N}, {"e", &j.E},
	} {
		if err := stringMember(m, f.name, f.dst); err != nil {
			return Key{}, kid, err
		}
	}
	if err := checkMembers(m, kty, use, alg, crv); err != nil {
		return Key{}, kid, err
	}
	if strings.Trim(j.X+j.Y+j.N+j.E, base64URL) != "" { // the decoder would skip CR, LF and padding
		return Key{}, kid, fmt.Errorf("%w: JWK number is not unpadded base64url", ErrUnsupportedKey)
	}
	j.KTY, j.CRV = jwkset.KTY(kty), jwkset.CRV(crv)
	// jwkset decodes the numbers and checks that the point is on its curve;
	// StrictPadding makes it compare our input with its own canonical
	// encoding, so leading zeros and short coordinates are refused.
	parsed, err := jwkset.NewJWKFromMarshal(j, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{StrictPadding: true})
	if err != nil {
		return Key{}, kid, fmt.Errorf("%w: invalid %s key material", ErrUnsupportedKey, kty)
	}
	k, err := NewKey(kid, Algorithm(alg), parsed.Key())
	return k, kid, err
}

// checkMembers applies the rules on a JWK's metadata: type and curve this
// package verifies with, use "sig", key_ops with "verify", no private
// members, a signing alg.
func checkMembers(m map[string]json.RawMessage, kty, use, alg, crv string) error {
	switch {
	case kty == "oct":
		return fmt.Errorf("%w: symmetric (oct) JWK", ErrUnsupportedKey)
	case kty == "EC" && (crv == "P-256" || crv == "P-384" || crv == "P-521"):
	case kty == "OKP" && crv == "Ed25519":
	case kty == "RSA":
	case kty == "EC" || kty == "OKP":
		return fmt.Errorf("%w: JWK curve", ErrUnsupportedKey)
	default:
		return fmt.Errorf("%w: JWK key type", ErrUnsupportedKey)
	}
	if _, ok := m["use"]; ok && use != "sig" {
		return fmt.Errorf("%w: JWK use is not sig", ErrUnsupportedKey)
	}
	if v, ok := m["key_ops"]; ok {
		var ops []string
		if !bytes.HasPrefix(v, []byte("[")) || json.Unmarshal(v, &ops) != nil || !slices.Contains(ops, "verify") {
			return fmt.Errorf("%w: JWK key_ops without verify", ErrUnsupportedKey)
		}
	}
	for _, name := range privateMembers {
		if _, ok := m[name]; ok {
			return fmt.Errorf("%w: JWK with private key members", ErrUnsupportedKey)
		}
	}
	if _, ok := m["alg"]; ok {
		switch a := Algorithm(alg); {
		case a.Symmetric(): // no JWK yields a secret here
			return fmt.Errorf("%w: HMAC alg on a public JWK", ErrKeyMismatch)
		case !a.Supported():
			return fmt.Errorf("%w: JWK alg", ErrUnsupportedAlgorithm)
		}
	}
	return nil
}

// stringMember stores member name of m in dst. An absent member leaves dst
// empty; one that is present must be a JSON string.
func stringMember(m map[string]json.RawMessage, name string, dst *string) error {
	v, ok := m[name]
	if !ok {
		return nil
	}
	if !bytes.HasPrefix(v, []byte(`"`)) || json.Unmarshal(v, dst) != nil {
		return fmt.Errorf("%w: JWK member %s is not a string", ErrUnsupportedKey, name)
	}
	return nil
}

// members decodes a JSON object into its members, whose values carry no
// leading space. A name that occurs twice is an error: decoders disagree on
// which value wins.
func members(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	m := make(map[string]json.RawMessage)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := t.(string) // inside an object, the decoder yields names as strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("duplicate member %.32q", name)
		}
		m[name] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}
