package jwks

import (
	"crypto"
	"crypto/elliptic"
)

// Algorithm is a JWS "alg" value (RFC 7518 §3.1, RFC 8037 §3.1). A distinct
// type, so that a key id and an algorithm cannot trade places in a call.
type Algorithm string

// Algorithms this package binds keys to.
const (
	EdDSA Algorithm = "EdDSA"
	ES256 Algorithm = "ES256"
	ES384 Algorithm = "ES384"
	ES512 Algorithm = "ES512"
	RS256 Algorithm = "RS256"
	RS384 Algorithm = "RS384"
	RS512 Algorithm = "RS512"
	PS256 Algorithm = "PS256"
	PS384 Algorithm = "PS384"
	PS512 Algorithm = "PS512"
	HS256 Algorithm = "HS256"
	HS384 Algorithm = "HS384"
	HS512 Algorithm = "HS512"
)

// family is the kind of key an algorithm needs and how it signs.
type family uint8

const (
	familyEdDSA family = iota + 1
	familyEC
	familyRSA // RSASSA-PKCS1-v1_5
	familyPSS // RSASSA-PSS, salt as long as the hash
	familyHMAC
)

// spec is what the package knows about one algorithm.
type spec struct {
	alg    Algorithm
	family family
	hash   crypto.Hash    // 0 for EdDSA
	curve  elliptic.Curve // ES* only (RFC 7518 §3.4)
	// byDefault: in [DefaultAlgorithms], the allow-list of a verifier that
	// names none. HMAC and RSA-PSS must be chosen explicitly.
	byDefault bool
}

// specs is the one table of algorithms: key checks, derivation, generation,
// signing, verification and the default allow-list all read it.
var specs = [...]spec{
	{EdDSA, familyEdDSA, 0, nil, true},
	{ES256, familyEC, crypto.SHA256, elliptic.P256(), true},
	{ES384, familyEC, crypto.SHA384, elliptic.P384(), true},
	{ES512, familyEC, crypto.SHA512, elliptic.P521(), true},
	{RS256, familyRSA, crypto.SHA256, nil, true},
	{RS384, familyRSA, crypto.SHA384, nil, true},
	{RS512, familyRSA, crypto.SHA512, nil, true},
	{PS256, familyPSS, crypto.SHA256, nil, false},
	{PS384, familyPSS, crypto.SHA384, nil, false},
	{PS512, familyPSS, crypto.SHA512, nil, false},
	{HS256, familyHMAC, crypto.SHA256, nil, false},
	{HS384, familyHMAC, crypto.SHA384, nil, false},
	{HS512, familyHMAC, crypto.SHA512, nil, false},
}

// lookupSpec returns the table row of a, or nil for an algorithm this
// package does not handle ("none" included).
func lookupSpec(a Algorithm) *spec {
	for i := range specs {
		if specs[i].alg == a {
			return &specs[i]
		}
	}
	return nil
}

// Supported reports whether a is an algorithm this package handles. "none"
// never is.
func (a Algorithm) Supported() bool { return lookupSpec(a) != nil }

// Symmetric reports whether a is an HMAC algorithm (HS256, HS384, HS512).
func (a Algorithm) Symmetric() bool {
	s := lookupSpec(a)
	return s != nil && s.family == familyHMAC
}

// Algorithms returns every supported algorithm, in a stable order.
func Algorithms() []Algorithm {
	out := make([]Algorithm, len(specs))
	for i, s := range specs {
		out[i] = s.alg
	}
	return out
}

// DefaultAlgorithms returns the allow-list of a verifier that names none:
// EdDSA, ES* and RS*. HMAC and RSA-PSS must be listed explicitly.
func DefaultAlgorithms() []Algorithm {
	var out []Algorithm
	for _, s := range specs {
		if s.byDefault {
			out = append(out, s.alg)
		}
	}
	return out
}
