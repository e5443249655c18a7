package token

import (
	"crypto/rsa"
	"maps"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/execauth/execauth/jwks"
)

// DefaultAlgorithms is the allow-list used when [VerifierConfig.Algorithms] is
// empty: the asymmetric algorithms. HMAC and RSA-PSS must be listed explicitly.
func DefaultAlgorithms() []string {
	return []string{jwks.EdDSA, jwks.ES256, jwks.ES384, jwks.ES512, jwks.RS256, jwks.RS384, jwks.RS512}
}

// pss returns an RSA-PSS method that signs with the salt length equal to the
// hash size, as RFC 7518 §3.5 requires (verification is jwks.Key.Verify's,
// which accepts only that length).
func pss(m *jwt.SigningMethodRSAPSS) jwt.SigningMethod {
	strict := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
	return &jwt.SigningMethodRSAPSS{SigningMethodRSA: m.SigningMethodRSA, Options: strict, VerifyOptions: strict}
}

// methods maps every supported alg to the golang-jwt method that signs it;
// its keys are also the algorithms a Verifier can be configured with.
// Signatures are checked by jwks.Key.Verify. "none" is absent by
// construction.
var methods = map[string]jwt.SigningMethod{
	jwks.EdDSA: jwt.SigningMethodEdDSA,
	jwks.ES256: jwt.SigningMethodES256,
	jwks.ES384: jwt.SigningMethodES384,
	jwks.ES512: jwt.SigningMethodES512,
	jwks.RS256: jwt.SigningMethodRS256,
	jwks.RS384: jwt.SigningMethodRS384,
	jwks.RS512: jwt.SigningMethodRS512,
	jwks.PS256: pss(jwt.SigningMethodPS256),
	jwks.PS384: pss(jwt.SigningMethodPS384),
	jwks.PS512: pss(jwt.SigningMethodPS512),
	jwks.HS256: jwt.SigningMethodHS256,
	jwks.HS384: jwt.SigningMethodHS384,
	jwks.HS512: jwt.SigningMethodHS512,
}

// algNames lists the keys of methods, for allocation-free lookups by bytes.
var algNames = slices.Sorted(maps.Keys(methods))
