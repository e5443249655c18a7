package benchmarks

import (
	"context"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// execauthVerifier is the verifier every peer is configured to match: a
// static key, the fixture's algorithm only, and the shared policy.
func execauthVerifier(f *fixture) (*token.Verifier, error) {
	st, err := jwks.NewStatic(f.signer.Public())
	if err != nil {
		return nil, err
	}
	return token.NewVerifier(token.VerifierConfig{
		Keys: st, Issuer: issuer, Audience: []string{audience},
		Algorithms: []string{f.alg}, Leeway: leeway,
		MaxLifetime: token.Lifetimes{Execution: lifetime},
	})
}

// execauth is Verifier.Verify plus the class check that the middleware makes
// by default (Verify accepts every class; the peers check the class too).
func execauth(f *fixture) (contender, error) {
	v, err := execauthVerifier(f)
	if err != nil {
		return contender{}, err
	}
	ctx := context.Background()
	prepare := func(raw string) func() error {
		return func() error {
			c, err := v.Verify(ctx, raw)
			if err != nil {
				return err
			}
			if c.Class() != scope.Execution {
				return errClass
			}
			return nil
		}
	}
	return contender{name: "execauth", prepare: prepare}, nil
}

// execauthMiddleware is a full request through middleware.Authenticate with
// its defaults (execution tokens only).
func execauthMiddleware(f *fixture) (contender, error) {
	v, err := execauthVerifier(f)
	if err != nil {
		return contender{}, err
	}
	h := middleware.Authenticate(middleware.Config{Verifier: v})(admitted)
	return contender{name: "execauth", request: true, prepare: viaHTTP(h)}, nil
}
