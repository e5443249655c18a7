package benchmarks

import (
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// jwtClaims adds the execution rules to golang-jwt's registered claims; the
// parser calls Validate after its own checks.
type jwtClaims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope"`
}

func (c *jwtClaims) Validate() error {
	return checkExecution(c.Scope, c.Subject, numericTime(c.IssuedAt), numericTime(c.ExpiresAt))
}

func numericTime(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

// jwtParser is golang-jwt configured like the execauth verifier: one
// algorithm, iss, aud, exp required, iat not in the future, the same leeway.
func jwtParser(alg string) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{alg}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
	)
}

// parseWith returns a prepare func for ParseWithClaims with kf; the claims
// are allocated per call, as a handler would.
func parseWith(p *jwt.Parser, kf jwt.Keyfunc) func(string) func() error {
	return func(raw string) func() error {
		return func() error {
			_, err := p.ParseWithClaims(raw, new(jwtClaims), kf)
			return err
		}
	}
}

// golangJWT is jwt.ParseWithClaims with a static key func.
func golangJWT(f *fixture) (contender, error) {
	key := f.key()
	kf := func(*jwt.Token) (any, error) { return key, nil }
	return contender{name: "golang-jwt", prepare: parseWith(jwtParser(f.alg), kf)}, nil
}

// keyfuncJWKS is jwt.ParseWithClaims with keyfunc over a JWKS loaded once
// from memory: the key is found by kid and checked against the JWK alg.
func keyfuncJWKS(f *fixture) (contender, error) {
	k, err := keyfunc.NewJWKSetJSON(f.set)
	if err != nil {
		return contender{}, err
	}
	return contender{name: "golang-jwt+keyfunc", prepare: parseWith(jwtParser(f.alg), k.Keyfunc)}, nil
}
