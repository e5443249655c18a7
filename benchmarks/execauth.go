package benchmarks

import (
	"context"

	"github.com/execauth/execauth/jwks"
	"github.com/execauth/execauth/middleware"
	"github.com/execauth/execauth/scope"
	"github.com/execauth/execauth/token"
)

// cacheSize is the verified-token cache of the cached contender: room for
// many more tokens than a benchmark presents.
const cacheSize = 1024

// execauthVerifier is the verifier every peer is configured to match: a
// static key, the fixture's algorithm only, and the shared policy.
func execauthVerifier(f *fixture, cache int) (*token.Verifier, error) {
	st, err := jwks.NewStatic(f.signer.Public())
	if err != nil {
		return nil, err
	}
	return token.NewVerifier(token.VerifierConfig{
		Keys: st, Issuer: issuer, Audience: []string{audience},
		Algorithms: []jwks.Algorithm{jwks.Algorithm(f.alg)}, Leeway: leeway,
		MaxLifetime: token.Lifetimes{Execution: lifetime},
		CacheSize:   cache,
	})
}

// execauth is Verifier.Verify plus the class check that the middleware makes
// by default (Verify accepts every class; the peers check the class too).
func execauth(f *fixture) (contender, error) {
	v, err := execauthVerifier(f, 0)
	if err != nil {
		return contender{}, err
	}
	return contender{name: "execauth", prepare: verifyWith(v, false)}, nil
}

// execauthCached is execauth with the verified-token cache, timed on hits:
// prepare verifies the token once, untimed, so that it is cached if valid.
func execauthCached(f *fixture) (contender, error) {
	v, err := execauthVerifier(f, cacheSize)
	if err != nil {
		return contender{}, err
	}
	return contender{name: "execauth+cache", prepare: verifyWith(v, true)}, nil
}

func verifyWith(v *token.Verifier, warm bool) func(raw string) func() error {
	ctx := context.Background()
	return func(raw string) func() error {
		check := func() error {
			c, err := v.Verify(ctx, raw)
			if err != nil {
				return err
			}
			if c.Class() != scope.Execution {
				return errClass
			}
			return nil
		}
		if warm {
			_ = check() // a rejected token is not cached; the timed check fails again
		}
		return check
	}
}

// execauthMiddleware is a full request through middleware.Authenticate with
// its defaults (execution tokens only).
func execauthMiddleware(f *fixture) (contender, error) {
	v, err := execauthVerifier(f, 0)
	if err != nil {
		return contender{}, err
	}
	h := middleware.Authenticate(middleware.Config{Verifier: v})(admitted)
	return contender{name: "execauth", request: true, prepare: viaHTTP(h, false)}, nil
}

// execauthMiddlewareCached is the same request with the verified-token cache,
// timed on hits: one untimed request fills the cache first.
func execauthMiddlewareCached(f *fixture) (contender, error) {
	v, err := execauthVerifier(f, cacheSize)
	if err != nil {
		return contender{}, err
	}
	h := middleware.Authenticate(middleware.Config{Verifier: v})(admitted)
	return contender{name: "execauth+cache", request: true, prepare: viaHTTP(h, true)}, nil
}
