package benchmarks

import (
	"context"
	"time"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"
)

// auth0Claims carries the claims auth0's validator leaves to custom claims:
// it checks exp, nbf and iat only when present.
type auth0Claims struct {
	Scope    string `json:"scope"`
	Subject  string `json:"sub"`
	IssuedAt int64  `json:"iat"`
	Expiry   int64  `json:"exp"`
}

func (c *auth0Claims) Validate(context.Context) error {
	return checkExecution(c.Scope, c.Subject, unixTime(c.IssuedAt), unixTime(c.Expiry))
}

func unixTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// auth0Validator is auth0's validator with the same algorithm, issuer,
// audience and leeway, and a static key func.
func auth0Validator(f *fixture) (*validator.Validator, error) {
	key := f.key()
	return validator.New(
		func(context.Context) (any, error) { return key, nil },
		validator.SignatureAlgorithm(f.alg), issuer, []string{audience},
		validator.WithAllowedClockSkew(leeway),
		validator.WithCustomClaims(func() validator.CustomClaims { return new(auth0Claims) }),
	)
}

// auth0 is the validator alone, for comparison with the other parsers.
func auth0(f *fixture) (contender, error) {
	v, err := auth0Validator(f)
	if err != nil {
		return contender{}, err
	}
	ctx := context.Background()
	prepare := func(raw string) func() error {
		return func() error {
			_, err := v.ValidateToken(ctx, raw)
			return err
		}
	}
	return contender{name: "auth0", prepare: prepare}, nil
}

// auth0Middleware is a full request through auth0's CheckJWT.
func auth0Middleware(f *fixture) (contender, error) {
	v, err := auth0Validator(f)
	if err != nil {
		return contender{}, err
	}
	h := jwtmiddleware.New(v.ValidateToken).CheckJWT(admitted)
	return contender{name: "auth0", request: true, prepare: viaHTTP(h, false)}, nil
}
